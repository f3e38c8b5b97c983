/**
 * Finding records by what they hold, on both backends: q searches payload words and phrases
 * through the full-text index (records stored before migration 7 included, purged ones gone),
 * machine_id matches by prefix, created_since/created_until filter on the record's creation time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { BACKENDS, freshDatabase, getJson, startTestCollector } from '../collector-helpers.js';
import { incomingRecord } from '../incoming-records.js';
import { createDatabaseAt } from '../storage/version-1.js';

const PAYLOADS = [
  'error in parse_config() at line 3\n',
  'could not parse the config file\n',
  'Backtrace (TID 7):\n#0 raise() - [/usr/lib64/libc.so.6]\n#1 parse_config() - [/usr/bin/app]\n',
  'hello world\n',
  'weird "quotes" AND NEAR(x) payload:col * ^ -\n',
];

for (const backend of BACKENDS) {
  test(`GET /api/records?q= (${backend.name}): finds records by payload words and phrases, as whole words, all of them required`, { skip: backend.skip }, async (t) => {
    const database = await freshDatabase(t, backend);
    // The first two stored by a collector of schema 6 (before the search index), the rest after.
    await createDatabaseAt(
      database,
      6,
      PAYLOADS.slice(0, 2).map((payload, index) => incomingRecord(index, { payload })),
    );
    const { store } = await openStore(database);
    await store.insert(PAYLOADS.slice(2).map((payload, index) => incomingRecord(index + 2, { payload })));
    await store.close();
    const collector = await startTestCollector(t, { backend, database });
    const found = async (query: string) => {
      const answer = await getJson<{ records: { payload: string }[] }>(collector, `/api/records?${new URLSearchParams({ q: query })}`);
      assert.equal(answer.status, 200, `q=${query}: ${JSON.stringify(answer.body)}`);
      return answer.body.records.map((record) => PAYLOADS.indexOf(record.payload)).sort();
    };
    assert.deepEqual(await found('parse_config'), [0, 2], 'parse_config, before and after the migration; "parse the config" is not the phrase');
    assert.deepEqual(await found('parse config'), [0, 1, 2], 'two words: both anywhere');
    assert.deepEqual(await found('"parse the config"'), [1]);
    assert.deepEqual(await found('raise parse_config'), [2]);
    assert.deepEqual(await found('HELLO'), [3], 'case does not matter');
    assert.deepEqual(await found('hell'), [], 'whole words only');
    assert.deepEqual(await found('NEAR(x) payload:col'), [4], 'search syntax in the query is only words');
    assert.deepEqual(await found('"quotes" AND'), [4]);
    assert.deepEqual(await found('nowhere'), []);

    const stats = await getJson<{ total: number }>(collector, '/api/stats?q=parse_config');
    assert.equal(stats.body.total, 2, 'the other endpoints take q too');
  });

  test(`search (${backend.name}): a purged record is no longer found`, { skip: backend.skip }, async (t) => {
    const database = await freshDatabase(t, backend);
    const { store } = await openStore(database);
    t.after(() => store.close());
    const now = Date.now();
    await store.insert([
      incomingRecord(1, { payload: 'old parse_config failure\n', received_at: now - 10 * 86_400_000 }),
      incomingRecord(2, { payload: 'new parse_config failure\n', received_at: now }),
    ]);
    assert.equal(await store.purge({ rules: [], maxAgeMs: 86_400_000 }, now), 1);
    const records = await store.list({ filter: { q: ['parse_config'] }, limit: 10 });
    assert.deepEqual(
      records.map((record) => record.payload),
      ['new parse_config failure\n'],
    );
  });

  test(`GET /api/records (${backend.name}): machine_id matches by prefix, created_since and created_until by creation time`, { skip: backend.skip }, async (t) => {
    const database = await freshDatabase(t, backend);
    const { store } = await openStore(database);
    const created = 1_750_000_000;
    await store.insert([
      incomingRecord(1, { machine_id: '0123456789abcdef0123456789abcdef', creation_timestamp: created, payload: 'a\n' }),
      incomingRecord(2, { machine_id: '0123456789abffff0123456789abcdef', creation_timestamp: created + 3600, payload: 'b\n' }),
      incomingRecord(3, { machine_id: 'fedcba9876543210fedcba9876543210', creation_timestamp: created + 7200, payload: 'c\n' }),
      incomingRecord(4, { machine_id: 'a_b%c', creation_timestamp: created, payload: 'd\n' }),
    ]);
    await store.close();
    const collector = await startTestCollector(t, { backend, database });
    const payloads = async (search: string) =>
      (await getJson<{ records: { payload: string }[] }>(collector, `/api/records?${search}`)).body.records.map((record) => record.payload.trim()).sort();
    assert.deepEqual(await payloads('machine_id=0123456789ab'), ['a', 'b'], 'the 12 characters the list shows');
    assert.deepEqual(await payloads('machine_id=0123456789abcdef0123456789abcdef'), ['a'], 'a whole id');
    assert.deepEqual(await payloads('machine_id=0123456789abc&machine_id=fedc'), ['a', 'c']);
    assert.deepEqual(await payloads('machine_id=a_'), ['d'], '_ and % are characters, not wildcards');
    assert.deepEqual(await payloads('machine_id=a%25'), []);
    assert.deepEqual(await payloads(`created_since=${created + 1}`), ['b', 'c']);
    assert.deepEqual(await payloads(`created_until=${new Date((created + 3600) * 1000).toISOString()}`), ['a', 'd']);
    assert.deepEqual(await payloads(`created_since=${created}&created_until=${created + 7200}`), ['a', 'b', 'd']);
  });
}
