/**
 * The SQLite writer thread (storage/write-thread.ts) dying: what it had in flight is answered 503
 * with Retry-After (the client keeps the records and sends them again), a new thread takes over on
 * the next write, and what was answered 201 before is still stored. The thread is ended the way a
 * crash ends it, from outside, while it is busy with a long statement (one that calls back into
 * JavaScript for every row, so the end takes effect inside it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SqliteStore } from '../../../engine/collector/storage/sqlite-store.js';
import type { WriteThread } from '../../../engine/collector/storage/write-thread.js';
import { UPSTREAM_TID, getJson, postV3, startTestCollector, v3Body } from '../collector-helpers.js';

/** Runs until the thread is ended: ten million rows, each through telem_glob. */
const BUSY_SQL = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000000) SELECT COUNT(*) AS c FROM n WHERE telem_glob('a/*', 'a/' || x)";

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

test('writer thread: ended while a post waits on it, that post gets 503 with Retry-After; the next is stored by a new thread; records answered 201 before are all there', async (t) => {
  const collector = await startTestCollector(t);
  const thread = (collector.store as SqliteStore).writeThread as WriteThread;
  assert.ok(thread, 'a SQLite file is written on a writer thread');

  const before = await Promise.all([1, 2, 3].map((index) => postV3(collector, v3Body({}, `before ${index}\n`))));
  assert.deepEqual(
    before.map((answer) => answer.status),
    [201, 201, 201],
  );

  const busy = thread.call({ op: 'all', args: [BUSY_SQL, []] });
  const lost = postV3(collector, v3Body({}, 'in flight\n'));
  // The post's insert is queued behind the busy statement.
  await until(() => thread.inFlight === 2);
  await thread.terminate();

  await assert.rejects(busy, { code: 'TELEM_SQLITE_WRITER_LOST', message: /the SQLite writer thread stopped/ });
  const answer = await lost;
  assert.equal(answer.status, 503);
  assert.equal(answer.headers['retry-after'], '5');
  assert.deepEqual(answer.json(), { message: 'the record could not be stored right now; try again later' });

  const resent = await postV3(collector, v3Body({}, 'in flight\n'));
  assert.equal(resent.status, 201, 'sent again, it is stored by the new thread');
  assert.equal(resent.headers['x-telem-duplicate'], undefined, 'it had not been stored before');
  const listed = await getJson<{ records: { payload: string }[] }>(collector, '/api/records');
  assert.deepEqual(listed.body.records.map((record) => record.payload).sort(), ['before 1\n', 'before 2\n', 'before 3\n', 'in flight\n']);
});

test('writer thread: a batch waiting on a thread that is ended gets 503 as a whole, none of it stored; sent again, all of it is stored', async (t) => {
  const collector = await startTestCollector(t);
  const thread = (collector.store as SqliteStore).writeThread as WriteThread;
  const body = Array.from({ length: 50 }, (_, index) => `${JSON.stringify({ ...v3Body({}, `batch ${index}\n`), record_id: `r-${index}` })}\n`).join('');
  const send = () => fetch(new URL('/telem/v1/records', collector.url), { method: 'POST', headers: { 'X-Telemetry-TID': UPSTREAM_TID, 'Content-Type': 'application/x-ndjson' }, body });
  // The retention purge run at start must be over, so that the two calls in flight below are the busy one and the batch's.
  await until(() => thread.inFlight === 0);

  const busy = thread.call({ op: 'all', args: [BUSY_SQL, []] });
  const lost = send();
  await until(() => thread.inFlight === 2);
  await thread.terminate();
  await assert.rejects(busy, { code: 'TELEM_SQLITE_WRITER_LOST' });
  const answer = await lost;
  assert.equal(answer.status, 503);
  assert.equal(answer.headers.get('retry-after'), '5');
  await answer.arrayBuffer();

  const resent = await send();
  assert.equal(resent.status, 200);
  const { results } = (await resent.json()) as { results: { status: string }[] };
  assert.deepEqual(new Set(results.map((result) => result.status)), new Set(['stored']));
  const stats = await getJson<{ total: number }>(collector, '/api/stats');
  assert.equal(stats.body.total, 50);
});
