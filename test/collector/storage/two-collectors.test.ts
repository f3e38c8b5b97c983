/**
 * The scale-out path (docs/collector.md, "Running at fleet scale on PostgreSQL"): two real
 * `telem collector` processes on one PostgreSQL database, batches of records (POST
 * /telem/v1/records, each record with its record_id) sent to either and some to both at once, one
 * collector killed with SIGKILL while batches are in flight and started again, every batch left
 * unanswered sent again, as an agent does. Every record is stored exactly once, and no record is
 * answered "stored" twice.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { POSTGRES_SKIP, POSTGRES_URL, UPSTREAM_TID, v3Body } from '../collector-helpers.js';
import { type CollectorProcess, startCollectorProcess } from '../collector-process.js';

const BATCHES = 40;
const PER_BATCH = 50;
/** SQLSTATE of DROP DATABASE … WITH (FORCE) meeting a connection it may not end. */
const INSUFFICIENT_PRIVILEGE = '42501';

/** A database of its own (two processes cannot share a test schema through the URL), dropped afterwards. */
async function freshPostgresDatabase(t: TestContext): Promise<string> {
  const name = `telem_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.after(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      // FORCE ends the collectors' connections, but not an autovacuum worker's (another role's):
      // that one finishes soon, so the drop is tried again for a few seconds.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE || attempt === 50) throw error;
          await sleep(100);
        }
      }
    } finally {
      await client.end();
    }
  });
  const url = new URL(POSTGRES_URL as string);
  url.pathname = `/${name}`;
  return url.toString();
}

const recordId = (batch: number, index: number) => `b${batch}-r${index}`;

function batchBody(batch: number): string {
  return Array.from({ length: PER_BATCH }, (_, index) => {
    const id = recordId(batch, index);
    const eventId = (batch * PER_BATCH + index).toString(16).padStart(32, '0');
    return `${JSON.stringify({ ...v3Body({ event_id: eventId }, `record ${id}\n`), record_id: id })}\n`;
  }).join('');
}

type Result = { record_id: string; status: string };

test('two collectors on one PostgreSQL database, one killed and restarted mid-way: every record is stored exactly once', { skip: POSTGRES_SKIP, timeout: 120_000 }, async (t) => {
  const database = await freshPostgresDatabase(t);
  const start = () => startCollectorProcess(t, { collector: { database } });
  // One at a time: the second runs the migrations the first has applied (both would be fine, in turn, under the lock).
  const a = await start();
  let b: CollectorProcess = await start();

  const answers = new Map<string, string[]>();
  const unanswered = new Set<number>();
  let lost = 0;
  const send = async (collector: CollectorProcess, batch: number): Promise<boolean> => {
    try {
      const response = await fetch(new URL('/telem/v1/records', collector.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-ndjson', 'X-Telemetry-TID': UPSTREAM_TID },
        body: batchBody(batch),
        signal: AbortSignal.timeout(20_000),
      });
      if (response.status !== 200) throw new Error(`answered ${response.status}: ${await response.text()}`);
      const { results } = (await response.json()) as { results: Result[] };
      assert.equal(results.length, PER_BATCH);
      for (const result of results) answers.set(result.record_id, [...(answers.get(result.record_id) ?? []), result.status]);
      unanswered.delete(batch);
      return true;
    } catch {
      // No answer (the collector died, or refused while going down): the agent keeps the batch and sends it again.
      lost += 1;
      unanswered.add(batch);
      return false;
    }
  };
  // Each batch to one collector, every third to both at once (the same records racing on two connections).
  const deliver = (batches: readonly number[], first: CollectorProcess, second: CollectorProcess) =>
    Promise.all(batches.flatMap((batch) => [send(batch % 2 ? first : second, batch), ...(batch % 3 === 0 ? [send(batch % 2 ? second : first, batch)] : [])]));

  for (let batch = 0; batch < 12; batch += 4) await deliver([batch, batch + 1, batch + 2, batch + 3], a, b);

  // Batches 12–19 go to b alone and it is killed as soon as the first of them are in the database,
  // so some are stored with their answer lost on the way.
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  // Should an assertion fail first, the drop of the database ends this connection: not an error then.
  client.on('error', () => {});
  const storedOfB = async () => Number((await client.query("SELECT COUNT(*) AS count FROM records WHERE payload ~ '^record b1[2-9]-'")).rows[0]?.count);
  const before = await storedOfB();
  const inFlight = Promise.all([12, 13, 14, 15, 16, 17, 18, 19].map((batch) => send(b, batch)));
  for (let poll = 0; poll < 400 && (await storedOfB()) === before; poll += 1) await sleep(2);
  process.kill(b.pid, 'SIGKILL');
  await b.stop();
  await inFlight;
  b = await start();

  // What was unanswered is sent again, with the rest; every resend loop is bounded.
  for (let round = 0; round < 5 && unanswered.size > 0; round += 1) await deliver([...unanswered], a, b);
  assert.equal(unanswered.size, 0, `batches still unanswered: ${[...unanswered].join(', ')}`);
  for (let batch = 20; batch < BATCHES; batch += 4) await deliver([batch, batch + 1, batch + 2, batch + 3], b, a);
  // Answers that were lost on the way are sent again too: duplicates, whichever collector gets them.
  for (const batch of [0, 13, 19, 25]) assert.ok(await send(batch % 2 ? a : b, batch));
  assert.equal(unanswered.size, 0);
  const answeredLate = [...answers.values()].filter((statuses) => !statuses.includes('stored')).length;
  t.diagnostic(`${lost} batch deliveries went unanswered and were sent again; ${answeredLate} records were stored with their answer lost`);

  for (let batch = 0; batch < BATCHES; batch += 1) {
    for (let index = 0; index < PER_BATCH; index += 1) {
      const statuses = answers.get(recordId(batch, index)) ?? [];
      assert.ok(statuses.length > 0, `${recordId(batch, index)} was answered`);
      assert.ok(
        statuses.every((status) => status === 'stored' || status === 'duplicate'),
        statuses.join(','),
      );
      assert.ok(statuses.filter((status) => status === 'stored').length <= 1, `${recordId(batch, index)} answered ${statuses.join(', ')}`);
    }
  }
  const [counts] = (await client.query('SELECT COUNT(*)::int AS rows, COUNT(DISTINCT payload)::int AS distinct, (SELECT COUNT(*)::int FROM record_keys) AS keys FROM records')).rows as {
    rows: number;
    distinct: number;
    keys: number;
  }[];
  // Ended here: the database is dropped (with FORCE) after the test.
  await client.end();
  assert.deepEqual(counts, { rows: BATCHES * PER_BATCH, distinct: BATCHES * PER_BATCH, keys: BATCHES * PER_BATCH });
  // Both collectors answer the same records from the shared database.
  for (const collector of [a, b]) {
    const stats = (await (await fetch(new URL('/api/stats', collector.url))).json()) as { total: number };
    assert.equal(stats.total, BATCHES * PER_BATCH);
  }
});
