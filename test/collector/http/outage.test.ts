/**
 * A collector whose database goes away: /healthz reports it (503 with the reason), reads and
 * ingest answer 503 with Retry-After, and all recover when the database is back. PostgreSQL is
 * reached through a TCP proxy the test cuts (the shared server keeps running). A read failing
 * for another reason than reachability stays a 500.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startCollector } from '../../../engine/collector/collector.js';
import { defaultCollectorSettings } from '../../../engine/collector/config/settings.js';
import { BACKENDS, POSTGRES_SKIP, POSTGRES_URL, freshDatabase, getJson, postV3, v3Body } from '../collector-helpers.js';
import { startCollectorProcess } from '../collector-process.js';
import { startTcpProxy } from '../tcp-proxy.js';

const UNREACHABLE = { message: 'the database cannot be reached right now; try again later' };

test(
  'database outage on postgres (collector process): /healthz, /api/records, /api/stats, /api/crashes and ingest answer 503 with Retry-After while PostgreSQL cannot be reached, and recover',
  { skip: POSTGRES_SKIP },
  async (t) => {
    const direct = new URL(POSTGRES_URL as string);
    const proxy = await startTcpProxy(t, { host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const fresh = await freshDatabase(t, { name: 'postgres', skip: false });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${fresh.schema as string}`);
    await admin.end();
    // The real process, told its schema the way an operator can: in the URL.
    viaProxy.searchParams.set('options', `-c search_path=${fresh.schema as string}`);
    const collector = await startCollectorProcess(t, { collector: { database: viaProxy.toString() } });

    assert.equal((await postV3(collector, v3Body())).status, 201);
    assert.deepEqual(await getJson(collector, '/healthz'), { status: 200, body: { status: 'ok', backend: 'postgres' } });

    proxy.cut();
    const health = await fetch(new URL('/healthz', collector.url));
    assert.equal(health.status, 503);
    assert.equal(health.headers.get('retry-after'), '5');
    const { database, ...report } = (await health.json()) as { database: string };
    assert.deepEqual(report, { status: 'unavailable', backend: 'postgres', message: 'the database cannot be reached; the collector can neither store nor read records' });
    assert.match(database, /Connection terminated|ECONNRESET|ECONNREFUSED/, 'says why');
    for (const pathname of ['/api/records', '/api/stats', '/api/crashes', '/api/records/1', '/api/records?format=ndjson', '/api/records?format=csv']) {
      const response = await fetch(new URL(pathname, collector.url));
      assert.equal(response.status, 503, pathname);
      assert.equal(response.headers.get('retry-after'), '5', pathname);
      assert.deepEqual(await response.json(), UNREACHABLE, pathname);
    }
    const ingest = await postV3(collector, v3Body({}, 'during the outage\n'));
    assert.deepEqual([ingest.status, ingest.headers['retry-after']], [503, '5']);

    proxy.restore();
    assert.deepEqual(await getJson(collector, '/healthz'), { status: 200, body: { status: 'ok', backend: 'postgres' } });
    assert.equal((await postV3(collector, v3Body({}, 'after the outage\n'))).status, 201);
    const listed = await getJson<{ records: { payload: string }[] }>(collector, '/api/records');
    assert.deepEqual(
      listed.body.records.map((record) => record.payload),
      ['after the outage\n', 'hello\n'],
    );
  },
);

for (const backend of BACKENDS) {
  test(`reads on ${backend.name}: a read failing for another reason than reachability (its table dropped) stays 500; /healthz still answers`, { skip: backend.skip }, async (t) => {
    const fresh = await freshDatabase(t, backend);
    const collector = await startCollector({
      settings: { ...defaultCollectorSettings(), listen: '127.0.0.1:0', auth: 'none', database: fresh.database },
      ...(fresh.schema === undefined ? {} : { schema: fresh.schema }),
    });
    t.after(() => collector.close());
    if (backend.name === 'sqlite') {
      const db = new Database(fresh.database.slice('sqlite:'.length));
      db.exec('DROP TABLE records');
      db.close();
    } else {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP TABLE ${fresh.schema}.records`);
      await client.end();
    }
    const response = await getJson(collector, '/api/records');
    assert.deepEqual(response, { status: 500, body: { message: 'internal error; the collector log has the details' } });
    assert.equal((await getJson(collector, '/healthz')).status, 200);
  });
}
