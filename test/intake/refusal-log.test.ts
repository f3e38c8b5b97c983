import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { RefusalLog } from '../../engine/intake/refusal-log.js';
import { capturingLogger, waitUntil } from '../helpers/intake.js';

const INTERVAL_MS = 100;

/** The fields of each captured line that this module writes (pino adds level, time, pid, hostname). */
function written(lines: Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.map(({ level, time, pid, hostname, ...rest }) => ({ level, ...rest }));
}

test('refusal log: the first refusal of a reason is logged at once with its fields', (t) => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: INTERVAL_MS });
  t.after(() => log.close());
  log.refuse('overloaded', { detail: '256 connections served and 1024 waiting', uid: 1000 });
  assert.deepEqual(written(lines()), [{ level: 40, reason: 'overloaded', detail: '256 connections served and 1024 waiting', uid: 1000, msg: 'connection refused' }]);
});

test('refusal log: a flood of refusals writes one summary per interval with the count since the last line', async () => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: INTERVAL_MS });
  log.refuse('overloaded', { detail: 'first' });
  for (let index = 0; index < 1234; index += 1) log.refuse('overloaded', { detail: `number ${index}` });
  assert.equal(lines().length, 1, 'nothing more before the interval is over');
  await waitUntil(() => lines().length === 2, 5000, 'the summary');
  const summary = lines()[1]!;
  assert.deepEqual(
    { reason: summary.reason, refused: summary.refused, lastDetail: summary.lastDetail, msg: summary.msg, level: summary.level },
    { reason: 'overloaded', refused: 1234, lastDetail: 'number 1233', msg: 'refused connections (rate-limited log)', level: 40 },
  );
  assert.ok((summary.sinceMs as number) >= INTERVAL_MS - 1, `sinceMs ${String(summary.sinceMs)}`);
  for (let index = 0; index < 5; index += 1) log.refuse('overloaded');
  await sleep(INTERVAL_MS / 2);
  assert.equal(lines().length, 2, 'still at most one line per interval after a summary');
  await waitUntil(() => lines().length === 3, 5000, 'the second summary');
  assert.equal(lines()[2]!.refused, 5);
  assert.equal('lastDetail' in lines()[2]!, false);
  log.close();
});

test('refusal log: each reason has its own first line and its own summaries', async () => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: INTERVAL_MS });
  log.refuse('overloaded');
  log.refuse('too_many_from_uid', { uid: 1000 });
  log.refuse('overloaded');
  log.refuse('too_many_from_uid', { uid: 1000 });
  log.refuse('too_many_from_uid', { uid: 1000 });
  assert.deepEqual(
    written(lines()).map((line) => [line.reason, line.msg]),
    [
      ['overloaded', 'connection refused'],
      ['too_many_from_uid', 'connection refused'],
    ],
  );
  await waitUntil(() => lines().length === 4, 5000, 'both summaries');
  assert.deepEqual(
    lines()
      .slice(2)
      .map((line) => [line.reason, line.refused])
      .sort(),
    [
      ['overloaded', 1],
      ['too_many_from_uid', 2],
    ],
  );
  log.close();
});

test('refusal log: after a quiet interval the next refusal is logged at once again', async () => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: INTERVAL_MS });
  log.refuse('timeout', { detail: 'one' });
  await sleep(INTERVAL_MS + 20);
  log.refuse('timeout', { detail: 'two' });
  assert.deepEqual(
    written(lines()).map((line) => [line.detail, line.msg]),
    [
      ['one', 'connection refused'],
      ['two', 'connection refused'],
    ],
  );
  log.close();
  assert.equal(lines().length, 2, 'nothing pending, so close writes nothing');
});

test('refusal log: refusals while a summary is overdue (the event loop was busy) join that summary', async () => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: INTERVAL_MS });
  log.refuse('overloaded');
  log.refuse('overloaded');
  const busyUntil = Date.now() + INTERVAL_MS + 20;
  while (Date.now() < busyUntil); // the summary timer cannot run
  log.refuse('overloaded');
  assert.equal(lines().length, 1);
  await waitUntil(() => lines().length === 2, 5000, 'the summary');
  assert.equal(lines()[1]!.refused, 2);
  log.close();
});

test('refusal log: close() writes the pending summaries at once, and nothing later', async () => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: 60_000 });
  log.refuse('overloaded');
  log.refuse('overloaded');
  log.refuse('overloaded');
  log.refuse('empty');
  log.close();
  assert.deepEqual(
    written(lines()).map(({ sinceMs, ...line }) => line),
    [
      { level: 40, reason: 'overloaded', msg: 'connection refused' },
      { level: 40, reason: 'empty', msg: 'connection refused' },
      { level: 40, reason: 'overloaded', refused: 2, msg: 'refused connections (rate-limited log)' },
    ],
  );
  log.close();
  assert.equal(lines().length, 3);
});

test('refusal log: its level and messages can be chosen, and its timers do not keep the process alive', async () => {
  const { logger, lines } = capturingLogger();
  const log = new RefusalLog({ logger, intervalMs: 60_000, level: 'error', message: 'record rejected', summaryMessage: 'records rejected (rate-limited log)' });
  log.refuse('sink_failed');
  log.refuse('sink_failed');
  const handles = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
  assert.equal(handles.includes('Timeout'), false, `active: ${handles.join(', ')}`);
  log.close();
  assert.deepEqual(
    written(lines()).map(({ sinceMs, ...line }) => line),
    [
      { level: 50, reason: 'sink_failed', msg: 'record rejected' },
      { level: 50, reason: 'sink_failed', refused: 1, msg: 'records rejected (rate-limited log)' },
    ],
  );
});
