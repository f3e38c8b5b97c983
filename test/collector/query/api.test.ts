/** The query API over HTTP: filters as parameters, pagination, exports, stats, crashes, and clear 400s. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunningCollector } from '../../../engine/collector/collector.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { BACKENDS, freshDatabase, getJson, postV3, startTestCollector, v3Body } from '../collector-helpers.js';
import { incomingRecord } from '../incoming-records.js';

async function seed(collector: RunningCollector): Promise<void> {
  const records = [
    v3Body({ classification: 'org.clearlinux/crash/clr', severity: '4', machine_id: 'm1', build: '100', event_id: '1'.repeat(32) }, 'Backtrace (TID 1):\n#0 boom() - [/lib/x.so]\n'),
    v3Body({ classification: 'org.clearlinux/hello/world', severity: '1', machine_id: 'm2', build: '200', event_id: '2'.repeat(32) }, 'hello, "world"\nline 2'),
    v3Body({ classification: 'org.example/probe/test', severity: '2', machine_id: 'm2', build: '200', system_name: 'debian', event_id: '3'.repeat(32) }, 'plain'),
  ];
  for (const record of records) assert.equal((await postV3(collector, record)).status, 201);
}

test('GET /api/records: newest first, filtered by fields named like the record, with a cursor to the next page', async (t) => {
  const collector = await startTestCollector(t);
  await seed(collector);
  const all = await getJson<{ records: { classification: string; id: number }[]; next_cursor: string | null }>(collector, '/api/records');
  assert.deepEqual(
    all.body.records.map((record) => record.classification),
    ['org.example/probe/test', 'org.clearlinux/hello/world', 'org.clearlinux/crash/clr'],
  );
  assert.equal(all.body.next_cursor, null);

  const query = async (search: string) => (await getJson<{ records: { classification: string }[] }>(collector, `/api/records?${search}`)).body.records.map((record) => record.classification);
  assert.deepEqual(await query('classification=org.clearlinux/*'), ['org.clearlinux/hello/world', 'org.clearlinux/crash/clr']);
  assert.deepEqual(await query('severity=4'), ['org.clearlinux/crash/clr']);
  assert.deepEqual(await query('severity=1,2'), ['org.example/probe/test', 'org.clearlinux/hello/world']);
  assert.deepEqual(await query('machine_id=m2&build=200&system_name=debian'), ['org.example/probe/test']);
  assert.deepEqual(await query(`event_id=${'2'.repeat(32)}`), ['org.clearlinux/hello/world']);
  assert.deepEqual(await query('until=2000-01-01T00:00:00Z'), []);

  const first = await getJson<{ records: { id: number }[]; next_cursor: string }>(collector, '/api/records?limit=2');
  assert.equal(first.body.records.length, 2);
  const second = await getJson<{ records: { id: number }[]; next_cursor: null }>(collector, `/api/records?limit=2&cursor=${first.body.next_cursor}`);
  assert.deepEqual(
    second.body.records.map((record) => record.id),
    [all.body.records[2]?.id],
  );
  assert.equal(second.body.next_cursor, null);

  const one = await getJson(collector, `/api/records/${all.body.records[1]?.id}`);
  assert.equal(one.body.classification, 'org.clearlinux/hello/world');
  assert.equal(one.body.payload, 'hello, "world"\nline 2');
  assert.deepEqual(await getJson(collector, '/api/records/999'), { status: 404, body: { message: 'no record with id "999"' } });
});

for (const backend of BACKENDS) {
  test(`GET /api/records (${backend.name}): since=1h leaves out the records received more than an hour ago`, { skip: backend.skip }, async (t) => {
    const database = await freshDatabase(t, backend);
    const { store } = await openStore(database);
    const minute = 60_000;
    const receivedAgo = [180 * minute, 61 * minute, 59 * minute, minute];
    await store.insert(receivedAgo.map((ago, index) => incomingRecord(index, { received_at: Date.now() - ago, payload: `${ago / minute} minutes ago` })));
    await store.close();
    const collector = await startTestCollector(t, { backend, database });
    const payloads = async (search: string) => (await getJson<{ records: { payload: string }[] }>(collector, `/api/records?${search}`)).body.records.map((record) => record.payload);
    assert.deepEqual(await payloads(''), ['1 minutes ago', '59 minutes ago', '61 minutes ago', '180 minutes ago'], 'every seeded record is stored');
    assert.deepEqual(await payloads('since=1h'), ['1 minutes ago', '59 minutes ago']);
    assert.deepEqual(await payloads('since=2h'), ['1 minutes ago', '59 minutes ago', '61 minutes ago']);
  });
}

test('GET /api/records: NDJSON and CSV export every matching record', async (t) => {
  const collector = await startTestCollector(t);
  await seed(collector);
  const ndjson = await fetch(new URL('/api/records?format=ndjson&classification=org.clearlinux/*', collector.url));
  assert.equal(ndjson.headers.get('content-type'), 'application/x-ndjson');
  const lines = (await ndjson.text())
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { classification: string });
  assert.deepEqual(
    lines.map((line) => line.classification),
    ['org.clearlinux/hello/world', 'org.clearlinux/crash/clr'],
  );

  const csv = await fetch(new URL('/api/records?format=csv&machine_id=m2', collector.url));
  assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(csv.headers.get('content-disposition'), 'attachment; filename="records.csv"');
  const text = await csv.text();
  const [header, ...rows] = text.split('\r\n');
  assert.equal(
    header,
    'id,received_at,tenant,protocol,external,record_format_version,classification,severity,machine_id,creation_timestamp,arch,host_type,build,kernel_version,payload_format_version,system_name,board_name,cpu_model,bios_version,event_id,first_frame,signature,payload',
  );
  assert.match(rows[0] as string, /,org\.example\/probe\/test,2,m2,.*,plain$/);
  assert.match(text, /,"hello, ""world""\nline 2"\r\n/, 'quotes doubled, newlines kept inside quotes');

  const limited = await fetch(new URL('/api/records?format=ndjson&limit=1', collector.url));
  assert.equal((await limited.text()).trimEnd().split('\n').length, 1);
});

test('GET /api/stats and /api/crashes: counts for the charts and crash groups', async (t) => {
  const collector = await startTestCollector(t);
  await seed(collector);
  const stats = await getJson<{ total: number; machines: number; by_build: unknown[]; over_time: { bucket_ms: number } }>(collector, '/api/stats?bucket=1h');
  assert.equal(stats.body.total, 3);
  assert.equal(stats.body.machines, 2);
  assert.deepEqual(stats.body.by_build, [
    { build: '200', count: 2, machines: 1 },
    { build: '100', count: 1, machines: 1 },
  ]);
  assert.equal(stats.body.over_time.bucket_ms, 3_600_000);

  const crashes = await getJson<{ classification: string[]; groups: { signature: string; first_frame: string; count: number }[] }>(collector, '/api/crashes');
  assert.deepEqual(crashes.body.classification, [
    '*/crash/*',
    'crash/kernel/*',
    'org.clearlinux/kernel/warning',
    'org.clearlinux/kernel/bug',
    'org.clearlinux/kernel/panic',
    'org.clearlinux/kernel/stackoverflow',
  ]);
  assert.deepEqual(
    crashes.body.groups.map((group) => [group.signature, group.first_frame, group.count]),
    [['boom', 'boom() - [/lib/x.so]', 1]],
  );
});

test('query API: bad parameters get a 400 naming the parameter, never an empty or full answer', async (t) => {
  const collector = await startTestCollector(t);
  const cases: [string, string][] = [
    ['/api/records?severity=5', 'severity should be a number from 1 to 4 (several: severity=3,4)'],
    ['/api/records?classification=a/b/c/d', 'classification should be a pattern like "org.clearlinux/crash/*": up to three "/"-separated parts, "*" and "?" as wildcards'],
    ['/api/records?limit=0', 'limit should be a number from 1 to 1000'],
    ['/api/records?limit=1001', 'limit should be a number from 1 to 1000'],
    ['/api/records?cursor=bogus', 'cursor is invalid: pass back the next_cursor of a previous answer unchanged'],
    ['/api/records?format=xml', 'format should be one of: json, ndjson, csv'],
    ['/api/records?since=yesterday', 'since should be a date and time (2025-01-31T12:00:00Z), unix seconds, or a duration before now such as "15m"'],
    [
      '/api/records?sevrity=1',
      'unknown query parameter "sevrity"; known parameters: q, classification, severity, machine_id, build, system_name, event_id, first_frame, signature, since, until, created_since, created_until, limit, cursor, format',
    ],
    ['/api/stats?bucket=10s', 'bucket should be a duration of at least a minute, such as "1h"'],
    ['/api/records?since=99999999999999999999', 'since should be a date and time (2025-01-31T12:00:00Z), unix seconds, or a duration before now such as "15m"'],
    ['/api/records?machine_id=a%00b', 'machine_id contains a NUL character'],
    ['/api/records?q=', 'q should name a word or a "quoted phrase" to find in payloads'],
    ['/api/records?q=%22%22', 'q should name a word or a "quoted phrase" to find in payloads'],
    ['/api/records?q=...', 'q searches whole words of the payload: "..." has no letter or digit to search for'],
    [`/api/records?q=${'x'.repeat(257)}`, 'q may be at most 256 characters long'],
    [`/api/records?q=${Array.from({ length: 17 }, (_, index) => `w${index}`).join('+')}`, 'at most 16 words or phrases per search (this one has 17)'],
    ['/api/records?created_since=soon', 'created_since should be a date and time (2025-01-31T12:00:00Z), unix seconds, or a duration before now such as "15m"'],
    [
      '/api/crashes?format=csv',
      'unknown query parameter "format"; known parameters: q, classification, severity, machine_id, build, system_name, event_id, first_frame, signature, since, until, created_since, created_until, limit, hidden',
    ],
  ];
  for (const [url, message] of cases) assert.deepEqual(await getJson(collector, url), { status: 400, body: { message } }, url);
  assert.deepEqual(await getJson(collector, '/api/records/%E0'), { status: 404, body: { message: 'no record with id "%E0"' } });
});
