/**
 * Ingest and reads on separate listeners (`telem collector --listen-api`, collector.listen_api):
 * the main listener receives records and answers /healthz, nothing else; the API listener serves
 * the UI, /api/* and /healthz, and no ingest. Against the real binary, as an operator runs it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { type RawResponse, UPSTREAM_TID, rawHttp, rawRequest, v2Headers, v3Body } from '../collector-helpers.js';
import { startCollectorProcess } from '../collector-process.js';

const API_ELSEWHERE = 'this listener only receives records, the web UI and query API are on the API listener (collector.listen_api)';

function get(url: string, pathname: string, method = 'GET'): Promise<RawResponse> {
  return rawRequest(url, Buffer.from(`${method} ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
}

const postV3To = (url: string, payload: string) =>
  rawRequest(url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(v3Body({}, payload)) }));

test('listeners: with --listen-api the main listener serves only ingest POSTs, /healthz and the rollout control document, everything else 404 naming the API listener', async (t) => {
  const collector = await startCollectorProcess(t, { args: ['--listen-api', '127.0.0.1:0'] });
  assert.notEqual(collector.apiUrl, collector.url, 'two URLs on stdout');
  const ingest = collector.url;

  assert.equal((await postV3To(ingest, 'v3\n')).status, 201);
  assert.equal((await rawRequest(ingest, rawHttp({ path: '/v2/collector', headers: v2Headers({ event_id: 'a'.repeat(32) }), body: 'v2\n' }))).status, 201);
  assert.equal((await rawRequest(ingest, rawHttp({ path: '/', headers: v2Headers({ event_id: 'b'.repeat(32) }), body: 'root\n' }))).status, 201);
  assert.deepEqual((await get(ingest, '/healthz')).json(), { status: 'ok', backend: 'sqlite' });
  // What agents poll with their bundle is where they send records.
  assert.deepEqual((await get(ingest, '/fleet/stable/control')).json(), { format_version: 1, channel: 'stable', rollouts: {} });
  assert.equal((await get(ingest, '/fleet/stable/control', 'POST')).status, 405);

  for (const [method, pathname] of [
    ['GET', '/'],
    ['GET', '/api/records'],
    ['GET', '/api/stats'],
    ['GET', '/api/crashes'],
    ['GET', '/api/fleet'],
    ['POST', '/api/fleet/rollouts/r1/halt'],
    ['GET', '/api/records/1'],
    ['GET', '/app.js'],
    ['GET', '/v3/collector'],
    ['PUT', '/v3/collector'],
  ]) {
    const response = await get(ingest, pathname as string, method);
    assert.equal(response.status, 404, `${method} ${pathname}`);
    assert.deepEqual(response.json(), { message: `nothing here: ${method} ${pathname}; ${API_ELSEWHERE}` });
  }

  const logged = collector.logs().find((line) => line.msg === 'collector listening');
  assert.deepEqual([logged?.url, logged?.api_url], [collector.url, collector.apiUrl], 'both URLs are logged');
});

test('listeners: the API listener serves the UI, /api/* and /healthz, and refuses ingest POSTs naming collector.listen', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { listen_api: '127.0.0.1:0' } });
  const api = collector.apiUrl;
  assert.equal((await postV3To(collector.url, 'stored\n')).status, 201);

  const ui = await get(api, '/');
  assert.equal(ui.status, 200);
  assert.match(ui.headers['content-type'] ?? '', /^text\/html/);
  const records = await get(api, '/api/records');
  assert.deepEqual(
    (records.json().records as { payload: string }[]).map((record) => record.payload),
    ['stored\n'],
  );
  assert.equal((await get(api, '/api/stats')).status, 200);
  assert.equal((await get(api, '/api/crashes')).status, 200);
  assert.equal((await get(api, '/api/fleet')).status, 200);
  assert.equal((await get(api, '/fleet/stable/control')).status, 200);
  assert.deepEqual((await get(api, '/healthz')).json(), { status: 'ok', backend: 'sqlite' });

  for (const pathname of ['/v3/collector', '/v2/collector', '/']) {
    const response = await rawRequest(api, rawHttp({ path: pathname, headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(v3Body({}, 'refused\n')) }));
    assert.equal(response.status, 405, pathname);
    assert.equal(response.headers.allow, 'GET, HEAD, OPTIONS');
    assert.deepEqual(response.json(), {
      message: 'method POST is not allowed here; use GET, HEAD, OPTIONS; records are received on the ingest listener (collector.listen), not on the API listener',
    });
  }
  assert.equal((await get(api, '/api/records')).json<{ records: unknown[] }>().records.length, 1, 'nothing was stored through the API listener');
});

test('listeners: an API address in use is reported naming that address, and the collector exits 2', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const address = `127.0.0.1:${(taken.address() as net.AddressInfo).port}`;
  const collector = await runCli(['collector', '--db', 'sqlite::memory:', '--listen', '127.0.0.1:0', '--listen-api', address]);
  assert.equal(collector.code, 2);
  assert.equal(collector.stdout, '');
  assert.equal(collector.stderr.trim().split('\n').at(-1), `telem collector: cannot listen on ${address}: the address is in use`);
});
