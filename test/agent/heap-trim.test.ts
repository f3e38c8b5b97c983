import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimHeapWhenQuiet } from '../../engine/agent/heap-trim.js';
import { nativeAddon } from '../../engine/native/addon.js';
import { silentLogger } from '../../engine/log/logger.js';
import { capturingLogger } from '../helpers/intake.js';

setFlagsFromString('--expose-gc');
/** A full (major) collection on demand, as V8's memory reducer runs one once the agent is quiet. */
const fullCollection = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the performance observer's callback, which runs after the collection. */
async function collectAndWait(): Promise<void> {
  fullCollection();
  await sleep(50);
}

test('heap trim: once per quiet spell, after a full collection, never while records keep coming', async (t) => {
  let clock = 1_000_000;
  let trims = 0;
  const trimmer = trimHeapWhenQuiet({ logger: silentLogger, now: () => clock, trim: () => ((trims += 1), true) });
  t.after(() => trimmer.stop());
  await collectAndWait();
  assert.equal(trims, 0, 'busy (just started): no trim');
  clock += 10_000;
  await collectAndWait();
  assert.equal(trims, 1, 'quiet, a full collection: one trim');
  clock += 10_000;
  await collectAndWait();
  assert.equal(trims, 1, 'the same quiet spell: no second trim');
  trimmer.activity();
  await collectAndWait();
  assert.equal(trims, 1, 'a record just came: no trim');
  clock += 10_000;
  await collectAndWait();
  assert.equal(trims, 2, 'quiet again after the record: trimmed again');
});

test('heap trim: a trim that throws (no addon built) is logged, and the agent goes on', async (t) => {
  let clock = 0;
  const { logger, lines } = capturingLogger();
  const trimmer = trimHeapWhenQuiet({
    logger,
    now: () => clock,
    trim: () => {
      throw new Error('no addon');
    },
  });
  t.after(() => trimmer.stop());
  clock += 10_000;
  await collectAndWait();
  assert.deepEqual(
    lines().map((line) => line.msg),
    ['could not give freed memory back (malloc_trim)'],
  );
});

test('native addon: trimHeap runs malloc_trim and answers a boolean', () => {
  assert.equal(typeof nativeAddon().trimHeap(), 'boolean');
});
