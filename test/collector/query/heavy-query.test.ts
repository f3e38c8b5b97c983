/**
 * No query can stall ingest. On a 20,000-record database, while one client sends the heaviest
 * query the API allows and another streams a full NDJSON export, v3 records keep being
 * answered 201 while that query is still running (they used to wait for it: one GET with 600
 * wildcard patterns blocked ingest for 20–28 s). A query that runs past collector.query_timeout
 * is stopped and answered 503, and reads go on; a query asking for more than the API allows is
 * a 400 naming the limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { startCollector } from '../../../engine/collector/collector.js';
import { defaultCollectorSettings } from '../../../engine/collector/config/settings.js';
import { MAX_PATTERNS, MAX_VALUES } from '../../../engine/collector/query/params.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { BACKENDS, type Backend, UPSTREAM_TID, freshDatabase, getJson, rawHttp, rawRequest, startProcess, startTestCollector, v3Body } from '../collector-helpers.js';
import { HEAVY_RECORDS, heaviestPatterns, seedHeavyDatabase } from '../heavy-query-data.js';
import { runCli } from '../../helpers/cli.js';

const RECORDS = HEAVY_RECORDS;

/** A fresh database holding RECORDS records, as the collector process is told to open it. */
async function seededDatabase(t: Parameters<typeof freshDatabase>[0], backend: Backend): Promise<{ database: string; schema?: string; processDatabase: string }> {
  const fresh = await freshDatabase(t, backend);
  if (fresh.schema !== undefined) {
    const client = new pg.Client({ connectionString: fresh.database });
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${fresh.schema}`);
    await client.end();
  }
  const { store } = await openStore(fresh);
  await seedHeavyDatabase(store);
  await store.close();
  // The process has no schema option: a PostgreSQL URL can carry the search path itself.
  const processDatabase = fresh.schema === undefined ? fresh.database : `${fresh.database}?options=${encodeURIComponent(`-c search_path=${fresh.schema}`)}`;
  return { ...fresh, processDatabase };
}

async function postRecord(url: string, index: number): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const body = JSON.stringify(v3Body({ classification: 'org.example/ingest/during-query', event_id: index.toString(16).padStart(32, 'e') }, `during ${index}\n`));
  const response = await rawRequest(url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID, 'Content-Type': 'application/json' }, body }));
  return { status: response.status, ms: performance.now() - started };
}

for (const backend of BACKENDS) {
  test(
    `collector [${backend.name}]: v3 records are answered while the heaviest allowed query and a full export run on ${RECORDS} records`,
    { skip: backend.skip, timeout: 180_000 },
    async (t) => {
      const { processDatabase } = await seededDatabase(t, backend);
      const collector = await startProcess({ args: ['collector', '--listen', '127.0.0.1:0', '--db', processDatabase], ready: { stream: 'stdout', pattern: /^(http:\/\/\S+\/)\n/ } });
      t.after(() => collector.stop());
      const url = collector.match[1] as string;
      // The reads log in as any client of a collector with the default collector.auth: tokens.
      const created = await runCli(['collector', '--db', processDatabase, 'token', 'create', '--name', 'heavy-reader', '--role', 'read']);
      assert.equal(created.code, 0, created.stderr);
      const headers = { Authorization: `Bearer ${created.stdout.trim()}` };

      const idle = await postRecord(url, 0);
      assert.equal(idle.status, 201);

      let queryDone = false;
      const queryStarted = performance.now();
      const heavy = fetch(new URL(`/api/stats?${heaviestPatterns()}`, url), { headers }).then(async (response) => {
        const body = (await response.json()) as { message?: string };
        queryDone = true;
        return { status: response.status, body, ms: performance.now() - queryStarted };
      });
      const exported = fetch(new URL('/api/records?format=ndjson', url), { headers }).then(async (response) => (await response.text()).split('\n').filter(Boolean).length);
      // A head start, so that the query is running when the records arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const during: { status: number; ms: number }[] = [];
      for (let index = 1; !queryDone && index <= 40; index += 1) during.push(await postRecord(url, index));
      const query = await heavy;
      t.diagnostic(
        `idle ingest ${idle.ms.toFixed(0)} ms; ${during.length} records answered while the query ran, slowest ${Math.max(0, ...during.map((answer) => answer.ms)).toFixed(0)} ms; the query answered ${query.status} after ${query.ms.toFixed(0)} ms`,
      );

      assert.ok(
        query.status === 200 || (query.status === 503 && /query_timeout/.test(query.body.message ?? '')),
        `the query is answered or stopped at its budget: ${query.status} ${JSON.stringify(query.body)}`,
      );
      assert.equal(during.length, 40, 'records were answered while the query still ran');
      assert.deepEqual(
        during.filter((answer) => answer.status !== 201),
        [],
        'every record sent during the query got 201',
      );
      const lines = await exported;
      assert.ok(lines >= RECORDS, `the export streamed every record (${lines})`);
    },
  );

  test(`collector [${backend.name}]: a query running past query_timeout is answered 503 and the next read is served`, { skip: backend.skip, timeout: 120_000 }, async (t) => {
    const fresh = await seededDatabase(t, backend);
    const settings = { ...defaultCollectorSettings(), listen: '127.0.0.1:0', auth: 'none' as const, database: fresh.database, query_timeout: 1000 };
    const collector = await startCollector({ settings, ...(fresh.schema === undefined ? {} : { schema: fresh.schema }) });
    t.after(() => collector.close());
    const stopped = await getJson<{ message: string }>(collector, `/api/stats?${heaviestPatterns()}`);
    assert.equal(stopped.status, 503);
    assert.match(stopped.body.message, /collector\.query_timeout: 1000 ms/);
    const after = await getJson<{ records: unknown[] }>(collector, '/api/records?limit=1&classification=org.clearlinux/hello/world');
    assert.equal(after.status, 200, 'reads go on after a stopped query');
    assert.equal(after.body.records.length, 1);
  });
}

test('query API: more patterns or values than a query may ask for is a 400 naming the limit', async (t) => {
  const collector = await startTestCollector(t);
  const patterns = await getJson<{ message: string }>(collector, `/api/records?${Array.from({ length: MAX_PATTERNS + 1 }, (_, index) => `classification=a/${index}/*`).join('&')}`);
  assert.equal(patterns.status, 400);
  assert.equal(patterns.body.message, `at most ${MAX_PATTERNS} classification patterns per query (this one has ${MAX_PATTERNS + 1})`);
  const machines = await getJson<{ message: string }>(collector, `/api/stats?${Array.from({ length: MAX_VALUES + 1 }, (_, index) => `machine_id=m${index}`).join('&')}`);
  assert.equal(machines.status, 400);
  assert.equal(machines.body.message, `at most ${MAX_VALUES} values of machine_id per query (this one has ${MAX_VALUES + 1})`);
  const long = await getJson<{ message: string }>(collector, `/api/crashes?classification=${'a'.repeat(257)}/*`);
  assert.equal(long.status, 400);
  assert.match(long.body.message, /at most 256 characters/);
  const allowed = await getJson(collector, `/api/records?${Array.from({ length: MAX_PATTERNS }, (_, index) => `classification=a/${index}/*`).join('&')}&severity=${'1,'.repeat(500)}2`);
  assert.equal(allowed.status, 200, 'the limits themselves are allowed; repeated severities are one');
});
