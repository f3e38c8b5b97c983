/**
 * The storage suite: the same cases against SQLite (always) and PostgreSQL (when
 * TELEM_TEST_POSTGRES_URL is set, as in CI), each on a fresh database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncomingRecord, StoredRecord } from '../../../engine/collector/record/record.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { RECORD_KEY_FIELDS } from '../../../engine/collector/storage/rows.js';
import type { RecordStore } from '../../../engine/collector/storage/store.js';
import { BACKENDS, type Backend, freshDatabase, openTestStore } from '../collector-helpers.js';
import { incomingRecord } from '../incoming-records.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 86_400_000;
let serial = 0;

function incoming(overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  serial += 1;
  return incomingRecord(serial, { received_at: T0, tenant: 'tid', severity: 1, machine_id: 'machine-a', build: '39000', kernel_version: '6.5.7-1355.native', ...overrides });
}

async function insertAll(store: RecordStore, records: IncomingRecord[]): Promise<number[]> {
  return (await store.insert(records)).map((result) => result.record.id);
}

const classificationsOf = async (store: RecordStore, filter: Parameters<RecordStore['list']>[0]['filter']) =>
  (await store.list({ filter, limit: 100 })).map((record) => record.classification).sort();

function suite(backend: Backend): void {
  const named = (name: string) => `storage on ${backend.name}: ${name}`;
  const options = { skip: backend.skip };

  test(named('inserted records come back field for field, with ids in input order'), options, async (t) => {
    const store = await openTestStore(t, backend);
    const record = incoming({ external: true, payload: 'café ✓ \t "quoted"\n', creation_timestamp: 99_999_999_999, payload_format_version: -7 });
    const [result] = await store.insert([record]);
    assert.equal(result?.duplicate, false);
    const { id, first_frame, signature, ...rest } = result?.record ?? assert.fail('no result');
    assert.deepEqual(rest, record);
    assert.deepEqual([first_frame, signature], [null, null]);
    assert.deepEqual(await store.get(id), result?.record);
    assert.equal(await store.get(id + 1000), null);
    const ids = await insertAll(store, [incoming(), incoming(), incoming()]);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.ok((ids[0] as number) > id);
  });

  test(named('a record equal in tenant, every header and payload is stored once; one differing in any of them is another record'), options, async (t) => {
    const store = await openTestStore(t, backend);
    const record = incoming();
    // Reception facts are not part of the record: a copy received later, over v2, as external, is the same record.
    const first = await store.insert([record, { ...record, received_at: T0 + 5, protocol: 'v2', external: true }]);
    assert.deepEqual(
      first.map((result) => result.duplicate),
      [false, true],
    );
    assert.deepEqual(first[1]?.record, first[0]?.record, 'the stored row is returned unchanged');

    // The records of one event share its event id; each field changed alone makes another record.
    const variants = RECORD_KEY_FIELDS.map((field) => {
      const value = record[field];
      return { ...record, [field]: typeof value === 'number' ? value + 1 : `${value}-other` } as IncomingRecord;
    });
    const second = await store.insert([...variants, record]);
    assert.deepEqual(
      second.map((result) => result.duplicate),
      [...variants.map(() => false), true],
    );
    assert.deepEqual(
      second.slice(0, -1).map((result, index) => result.record[RECORD_KEY_FIELDS[index] as keyof StoredRecord]),
      variants.map((variant, index) => variant[RECORD_KEY_FIELDS[index] as keyof IncomingRecord]),
      'each variant is answered with its own row',
    );
    assert.equal(second.at(-1)?.record.id, first[0]?.record.id);
    assert.equal(new Set(second.map((result) => result.record.id)).size, variants.length + 1);

    const again = await store.insert(variants);
    assert.ok(again.every((result) => result.duplicate));
    assert.deepEqual(
      again.map((result) => result.record.id),
      second.slice(0, -1).map((result) => result.record.id),
    );
    assert.equal((await store.list({ filter: {}, limit: 100 })).length, variants.length + 1);
  });

  test(named('the first backtrace frame and the signature of a payload are stored for the crash view'), options, async (t) => {
    const store = await openTestStore(t, backend);
    const payload = 'Process: /usr/bin/foo\nPID: 42\nSignal: 11\n\nBacktrace (TID 42):\n#0 crashing_func() - [/usr/lib64/libfoo.so.1] - foo.c:10\n#1 main() - [/usr/bin/foo]\n';
    const [result] = await store.insert([incoming({ classification: 'org.clearlinux/crash/clr', payload })]);
    assert.equal(result?.record.first_frame, 'crashing_func() - [/usr/lib64/libfoo.so.1]');
    assert.equal(result?.record.signature, 'crashing_func | main');
    assert.deepEqual(await store.get(result?.record.id as number), result?.record, 'as the insert answered it');
  });

  test(named('list filters by classification pattern, severity, machine, build, system, event id and time'), options, async (t) => {
    const store = await openTestStore(t, backend);
    await insertAll(store, [
      incoming({ classification: 'org.clearlinux/crash/clr', severity: 4, machine_id: 'm1', build: '100', received_at: T0 - 2 * DAY }),
      incoming({ classification: 'org.clearlinux/crash/python', severity: 3, machine_id: 'm2', build: '100' }),
      incoming({ classification: 'org.clearlinux/hello/world', severity: 1, machine_id: 'm1', build: '200', system_name: 'debian' }),
      incoming({ classification: 'org.example/crash/x', severity: 2, machine_id: 'm3', build: '200', received_at: T0 + DAY }),
      incoming({ classification: 'org.example/a.b/c', severity: 2, machine_id: 'm3', event_id: 'e'.repeat(32) }),
    ]);
    assert.deepEqual(await classificationsOf(store, { classification: ['org.clearlinux/hello/world'] }), ['org.clearlinux/hello/world']);
    assert.deepEqual(await classificationsOf(store, { classification: ['*/crash/*'] }), ['org.clearlinux/crash/clr', 'org.clearlinux/crash/python', 'org.example/crash/x']);
    assert.deepEqual(await classificationsOf(store, { classification: ['org.clearlinux/*'] }), ['org.clearlinux/crash/clr', 'org.clearlinux/crash/python', 'org.clearlinux/hello/world']);
    assert.equal((await classificationsOf(store, { classification: ['*'] })).length, 5);
    assert.deepEqual(await classificationsOf(store, { classification: ['org.clearlinux/crash/cl?'] }), ['org.clearlinux/crash/clr']);
    assert.deepEqual(await classificationsOf(store, { classification: ['org.example/a?b/*'] }), ['org.example/a.b/c'], '"." is literal, "?" is one character');
    assert.deepEqual(await classificationsOf(store, { classification: ['org.example/a.b'] }), [], 'two parts never match three');
    assert.deepEqual(await classificationsOf(store, { classification: ['*/hello/*', '*/a.b/*'] }), ['org.clearlinux/hello/world', 'org.example/a.b/c']);
    assert.deepEqual(await classificationsOf(store, { severity: [3, 4] }), ['org.clearlinux/crash/clr', 'org.clearlinux/crash/python']);
    assert.deepEqual(await classificationsOf(store, { machine_id: ['m1'] }), ['org.clearlinux/crash/clr', 'org.clearlinux/hello/world']);
    assert.deepEqual(await classificationsOf(store, { build: ['200'], machine_id: ['m1'] }), ['org.clearlinux/hello/world']);
    assert.deepEqual(await classificationsOf(store, { system_name: ['debian'] }), ['org.clearlinux/hello/world']);
    assert.deepEqual(await classificationsOf(store, { event_id: ['e'.repeat(32)] }), ['org.example/a.b/c']);
    assert.deepEqual(await classificationsOf(store, { since: T0 - DAY, until: T0 + DAY }), ['org.clearlinux/crash/python', 'org.clearlinux/hello/world', 'org.example/a.b/c']);
  });

  test(named('pages walk newest first from a cursor without gaps or repeats'), options, async (t) => {
    const store = await openTestStore(t, backend);
    const ids = await insertAll(
      store,
      Array.from({ length: 23 }, () => incoming()),
    );
    const seen: number[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = await store.list({ filter: {}, limit: 10, ...(beforeId === undefined ? {} : { beforeId }) });
      seen.push(...page.map((record) => record.id));
      if (page.length < 10) break;
      beforeId = page.at(-1)?.id;
    }
    assert.deepEqual(seen, [...ids].reverse());
  });

  test(named('stats count by classification, severity, build (with machines) and time bucket'), options, async (t) => {
    const store = await openTestStore(t, backend);
    const hour = 3_600_000;
    await insertAll(store, [
      incoming({ classification: 'a/b/c', severity: 1, build: '1', machine_id: 'm1', received_at: T0 }),
      incoming({ classification: 'a/b/c', severity: 2, build: '1', machine_id: 'm2', received_at: T0 + 10 }),
      incoming({ classification: 'a/b/c', severity: 2, build: '1', machine_id: 'm2', received_at: T0 + hour }),
      incoming({ classification: 'x/y/z', severity: 4, build: '2', machine_id: 'm1', received_at: T0 + 3 * hour }),
    ]);
    const stats = await store.stats({ filter: {}, bucketMs: hour });
    assert.equal(stats.total, 4);
    assert.equal(stats.machines, 2);
    assert.equal(stats.first_received, T0);
    assert.equal(stats.last_received, T0 + 3 * hour);
    assert.deepEqual(stats.by_classification, [
      { classification: 'a/b/c', count: 3 },
      { classification: 'x/y/z', count: 1 },
    ]);
    assert.deepEqual(stats.by_severity, [
      { severity: 1, count: 1 },
      { severity: 2, count: 2 },
      { severity: 4, count: 1 },
    ]);
    assert.deepEqual(stats.by_build, [
      { build: '1', count: 3, machines: 2 },
      { build: '2', count: 1, machines: 1 },
    ]);
    assert.equal(stats.over_time.bucket_ms, hour);
    assert.deepEqual(stats.over_time.buckets, [
      { start: T0, count: 2, by_severity: { 1: 1, 2: 1 }, by_classification: { 'a/b/c': 2 } },
      { start: T0 + hour, count: 1, by_severity: { 2: 1 }, by_classification: { 'a/b/c': 1 } },
      { start: T0 + 2 * hour, count: 0, by_severity: {}, by_classification: {} },
      { start: T0 + 3 * hour, count: 1, by_severity: { 4: 1 }, by_classification: { 'x/y/z': 1 } },
    ]);
    const filtered = await store.stats({ filter: { severity: [2] } });
    assert.equal(filtered.total, 2);
    assert.equal(filtered.over_time.bucket_ms, 60_000, 'a bucket is chosen from the time range');
    const empty = await store.stats({ filter: { build: ['none'] } });
    assert.deepEqual([empty.total, empty.first_received, empty.over_time.buckets], [0, null, []]);
  });

  test(named('crash groups count records, machines and builds per signature'), options, async (t) => {
    const store = await openTestStore(t, backend);
    const crash = (frame: string) => `Process: /usr/bin/x\n\nBacktrace (TID 1):\n#0 ${frame} - [/usr/lib64/libx.so] - x.c:1\n#1 main() - [/usr/bin/x]\n`;
    const ids = await insertAll(store, [
      incoming({ classification: 'org.clearlinux/crash/clr', machine_id: 'm1', build: '1', payload: crash('boom()') }),
      incoming({ classification: 'org.clearlinux/crash/clr', machine_id: 'm2', build: '2', payload: crash('boom()') }),
      incoming({ classification: 'org.clearlinux/crash/clr', machine_id: 'm2', build: '2', payload: `${crash('boom()')}extra\n` }),
      incoming({ classification: 'org.clearlinux/crash/clr', machine_id: 'm1', build: '1', payload: crash('other()') }),
      incoming({ classification: 'org.clearlinux/crash/clr', payload: 'no frames here', received_at: T0 - 1000 }),
      incoming({ classification: 'org.clearlinux/hello/world', payload: crash('boom()') }),
    ]);
    const groups = await store.crashes({ classification: ['*/crash/*'] }, 10);
    assert.deepEqual(
      groups.map((group) => [group.signature, group.first_frame, group.count, group.machines, group.builds]),
      [
        ['boom | main', 'boom() - [/usr/lib64/libx.so]', 3, 2, 2],
        ['other | main', 'other() - [/usr/lib64/libx.so]', 1, 1, 1],
        [null, null, 1, 1, 1],
      ],
    );
    assert.equal(groups[0]?.latest_id, ids[2]);
    const records = await store.list({ filter: { classification: ['*/crash/*'], first_frame: ['boom() - [/usr/lib64/libx.so]'] }, limit: 10 });
    assert.equal(records.length, 3);
  });

  test(named("purge follows upstream's vectors: per-rule ages, the shortest wins, forever exempts"), options, async (t) => {
    // reference/upstream-backend.md §3.3: MAX 5 d, severity {1: 1 d, 4: keep}, classification {test/keep/one: keep, test/discard/*: 1 d}.
    const plan = {
      maxAgeMs: 5 * DAY,
      rules: [
        { severity: 1, maxAgeMs: DAY },
        { severity: 4, maxAgeMs: null },
        { classification: 'test/keep/one', maxAgeMs: null },
        { classification: 'test/discard/*', maxAgeMs: DAY },
      ],
    };
    const aged = (rows: [number, number, string][]) => rows.map(([days, severity, classification]) => incoming({ received_at: T0 - days * DAY - 1000, severity, classification }));

    const deleteCase = await openTestStore(t, backend);
    await deleteCase.insert(
      aged([
        [2, 1, 'test/discard/one'],
        [2, 2, 'test/discard/two'],
        [2, 2, 'test/discard/three'],
        [2, 4, 'test/discard/two'],
        [2, 4, 'test/discard/three'],
        [6, 2, 'test/test/one'],
        [2, 1, 'test/keep/one'],
      ]),
    );
    assert.equal(await deleteCase.purge(plan, T0), 7);
    assert.equal((await deleteCase.list({ filter: {}, limit: 10 })).length, 0);

    const keepCase = await openTestStore(t, backend);
    await keepCase.insert(
      aged([
        [6, 2, 'test/keep/one'],
        [3, 2, 'test/test/one'],
        [6, 4, 'test/test/one'],
        [2, 4, 'test/discard/three'],
        [6, 2, 'test/test/one'],
        [2, 1, 'test/keep/one'],
      ]),
    );
    assert.equal(await keepCase.purge(plan, T0), 3);
    const left = (await keepCase.list({ filter: {}, limit: 10 })).map((record) => `${record.classification},${record.severity}`).sort();
    assert.deepEqual(left, ['test/keep/one,2', 'test/test/one,2', 'test/test/one,4']);

    const keepAll = await openTestStore(t, backend);
    await keepAll.insert(aged([[400, 2, 'a/b/c']]));
    assert.equal(await keepAll.purge({ maxAgeMs: null, rules: [] }, T0), 0, 'max_age forever keeps everything');
  });

  test(named('reopening a database keeps its records and applies each migration once'), options, async (t) => {
    const database = await freshDatabase(t, backend);
    const first = await openStore(database);
    await first.store.insert([incoming({ classification: 'kept/across/restart' })]);
    // Two collectors starting together on one database (PostgreSQL: many collector processes).
    const [second, third] = await Promise.all([openStore(database), backend.name === 'postgres' ? openStore(database) : null]);
    await first.store.close();
    assert.deepEqual(await classificationsOf(second.store, {}), ['kept/across/restart']);
    if (third) assert.equal((await third.store.insert([incoming()]))[0]?.duplicate, false);
    await second.store.close();
    await third?.store.close();
  });
}

for (const backend of BACKENDS) suite(backend);
