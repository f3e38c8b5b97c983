/**
 * PostgreSQL's day partitions (migration 6, storage/partitions.ts): created ahead by each collector
 * (once when several start together), a record outside them stored in the default partition and
 * moved when its day's partition comes, duplicates found across partitions, and retention dropping
 * whole expired partitions with their keys while deleting rows only in the boundary one.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { DAYS_AHEAD, DAY_MS, DEFAULT_PARTITION, ensurePartitions, listPartitions, partitionName } from '../../../engine/collector/storage/partitions.js';
import { openPostgresStore } from '../../../engine/collector/storage/postgres-store.js';
import type { PurgePlan, RecordStore } from '../../../engine/collector/storage/store.js';
import { type Backend, POSTGRES_SKIP, POSTGRES_URL, freshDatabase } from '../collector-helpers.js';
import { incomingRecord } from '../incoming-records.js';
import { type RawDatabase, rawDatabase } from './version-1.js';

const POSTGRES: Backend = { name: 'postgres', skip: POSTGRES_SKIP };
const options = { skip: POSTGRES_SKIP, timeout: 60_000 };
/** A day long past, so nothing here depends on today (00:00 UTC). */
const D0 = Date.UTC(2025, 2, 10);
const HOUR = 3_600_000;
let serial = 0;

const record = (receivedAt: number, overrides: Partial<IncomingRecord> = {}): IncomingRecord => incomingRecord(++serial, { received_at: receivedAt, ...overrides });

async function openAt(t: TestContext, now: number): Promise<{ store: RecordStore; db: RawDatabase; schema: string }> {
  const fresh = await freshDatabase(t, POSTGRES);
  const store = await openPostgresStore({ url: POSTGRES_URL as string, schema: fresh.schema as string, now: () => now });
  t.after(() => store.close());
  const db = await rawDatabase(fresh);
  t.after(() => db.close());
  return { store, db, schema: fresh.schema as string };
}

const partitionNames = async (db: RawDatabase) => (await listPartitions(db)).map((partition) => partition.name);
const rowsIn = async (db: RawDatabase, table: string) => Number((await db.query(`SELECT COUNT(*) AS count FROM ${table}`))[0]?.count);
const days = (from: number, count: number) => Array.from({ length: count }, (_, index) => partitionName(from + index * DAY_MS));

test('partitions on postgres: a collector creates today and the next days ahead; two starting together create each once', options, async (t) => {
  const { db, schema } = await openAt(t, D0 + 13 * HOUR);
  assert.deepEqual(await partitionNames(db), days(D0, DAYS_AHEAD + 1));
  assert.deepEqual(await listPartitions(db).then((partitions) => partitions[0]), { name: 'records_20250310', from: D0, to: D0 + DAY_MS });
  assert.equal((await db.query("SELECT relkind FROM pg_class WHERE relname = 'records' AND relnamespace = current_schema()::regnamespace"))[0]?.relkind, 'p');

  // Two more collectors, a day later, at once: the one new day is created once, without an error.
  const later = () => openPostgresStore({ url: POSTGRES_URL as string, schema, now: () => D0 + DAY_MS + HOUR });
  const stores = await Promise.all([later(), later()]);
  for (const store of stores) t.after(() => store.close());
  assert.deepEqual(await partitionNames(db), days(D0, DAYS_AHEAD + 2));
});

test('partitions on postgres: a record received outside every partition is stored in the default one, and moves into its day when that is created', options, async (t) => {
  const { store, db } = await openAt(t, D0);
  const far = D0 + 30 * DAY_MS + 5 * HOUR;
  const [first] = await store.insert([record(far)]);
  assert.equal(first?.duplicate, false);
  assert.equal(await rowsIn(db, DEFAULT_PARTITION), 1);

  await db.query('BEGIN');
  await ensurePartitions(db, far);
  await db.query('COMMIT');
  assert.equal(await rowsIn(db, DEFAULT_PARTITION), 0);
  assert.equal(await rowsIn(db, partitionName(D0 + 30 * DAY_MS)), 1);
  assert.deepEqual(await store.get(first?.record.id as number), first?.record);
  const [again] = await store.insert([{ ...record(far), ...first?.record, received_at: far + HOUR }]);
  assert.equal(again?.duplicate, true, 'its key still finds it');
});

test('partitions on postgres: a record sent again days later, into another partition, is a duplicate answered with the first row', options, async (t) => {
  const { store } = await openAt(t, D0);
  const original = record(D0 + HOUR);
  const other = record(D0 + 3 * DAY_MS);
  const [stored] = await store.insert([original]);
  const answers = await store.insert([{ ...original, received_at: D0 + 3 * DAY_MS }, other, { ...original, received_at: D0 + 5 * DAY_MS }, other]);
  assert.deepEqual(
    answers.map((answer) => answer.duplicate),
    [true, false, true, true],
  );
  assert.deepEqual(answers[0]?.record, stored?.record);
  assert.equal(answers[0]?.record.received_at, D0 + HOUR);
  assert.equal(answers[3]?.record.id, answers[1]?.record.id);
  assert.ok((answers[1]?.record.id as number) > (stored?.record.id as number));
});

test('partitions on postgres: retention drops the partitions past the longest age whole, deletes rows only in the boundary one, and their keys go too', options, async (t) => {
  const { store, db } = await openAt(t, D0);
  const kept = 'org.example/kept/long';
  const day0 = [record(D0 + HOUR), record(D0 + 20 * HOUR), record(D0 + 2 * HOUR, { classification: kept })];
  const day1 = [record(D0 + DAY_MS + 6 * HOUR), record(D0 + DAY_MS + 18 * HOUR), record(D0 + DAY_MS + 9 * HOUR, { classification: kept })];
  const day2 = [record(D0 + 2 * DAY_MS + HOUR)];
  await store.insert([...day0, ...day1, ...day2]);
  const now = D0 + DAY_MS + 12 * HOUR + 35 * DAY_MS;

  // A rule keeping some records 90 days: the day-0 partition may hold one, so it stays and loses only its other rows.
  const longRule: PurgePlan = { rules: [{ classification: kept, maxAgeMs: 90 * DAY_MS }], maxAgeMs: 35 * DAY_MS };
  assert.equal(await store.purge(longRule, now), 3);
  assert.ok((await partitionNames(db)).includes(partitionName(D0)));
  assert.equal(await rowsIn(db, partitionName(D0)), 1);

  // Without it, 35 days: day 0 is dropped (its last row), day 1 is cut at 12:00 (its 09:00 row), day 2 is kept.
  const plan: PurgePlan = { rules: [], maxAgeMs: 35 * DAY_MS };
  assert.equal(await store.purge(plan, now), 2);
  const names = await partitionNames(db);
  assert.ok(!names.includes(partitionName(D0)), names.join(', '));
  assert.ok(
    names.includes(partitionName(D0 + DAY_MS)) &&
      (await db.query(`SELECT 1 FROM pg_class WHERE relname = '${DEFAULT_PARTITION}' AND relnamespace = current_schema()::regnamespace`)).length === 1,
  );
  assert.deepEqual(
    (await store.list({ filter: {}, limit: 10 })).map((row) => row.payload),
    [day2[0], day1[1]].map((row) => row?.payload),
  );
  assert.equal(await rowsIn(db, 'record_keys'), 2, 'the keys of deleted and dropped rows are gone');

  // Purged records sent again are stored again; kept ones are still duplicates.
  const resent = await store.insert([
    { ...(day0[0] as IncomingRecord), received_at: now },
    { ...(day1[0] as IncomingRecord), received_at: now },
    { ...(day1[1] as IncomingRecord), received_at: now },
  ]);
  assert.deepEqual(
    resent.map((answer) => answer.duplicate),
    [false, false, true],
  );
  // A rule keeping records forever: nothing is dropped whole.
  assert.equal(await store.purge({ rules: [{ classification: kept, maxAgeMs: null }], maxAgeMs: DAY_MS }, now + 400 * DAY_MS), 4);
  assert.ok((await partitionNames(db)).includes(partitionName(D0 + DAY_MS)));
});
