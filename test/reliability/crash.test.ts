/** The short crash run for `npm test`: three kill -9 under load; the long run (20 kills) is crash.long.test.ts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseSeed } from './prng.js';
import { formatCrashReport, runCrashScenario } from './crash-run.js';

test('crash: kill -9 three times under load; every acknowledged record reaches the collector once, nothing half-written', { timeout: 60_000 }, async (t) => {
  const seed = chooseSeed();
  t.diagnostic(`seed ${seed} (replay with TELEM_RELIABILITY_SEED=${seed})`);
  const report = await runCrashScenario(t, { seed, kills: 3, runMs: [150, 700], senders: 4, pauseMs: 2, durability: 'batch', drainTimeoutMs: 20_000 });
  for (const line of formatCrashReport(report).split('\n')) t.diagnostic(line);
  assert.ok(report.acknowledged > 0, 'records were acknowledged between the kills');
  assert.deepEqual({ lost: report.lost, duplicated: report.duplicated, phantom: report.phantom }, { lost: 0, duplicated: 0, phantom: 0 }, `seed ${seed}: ${JSON.stringify(report.examples)}`);
});
