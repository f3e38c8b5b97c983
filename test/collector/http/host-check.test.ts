/**
 * The Host check against DNS rebinding, on the real collector configured by a policy: names it
 * is not known by get 421 on every path (reads, UI, health and ingest alike); IP literals,
 * localhost, the machine's hostname, collector.allowed_hosts and requests without Host pass.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { validatePolicyValue } from '../../../engine/validate/validate.js';
import { type RawResponse, UPSTREAM_TID, rawRequest, v3Body } from '../collector-helpers.js';
import { startCollectorProcess } from '../collector-process.js';

function request(url: string, options: { host: string | null; method?: string; path: string; version?: string; body?: string }): Promise<RawResponse> {
  const body = options.body ?? '';
  const lines = [
    `${options.method ?? 'GET'} ${options.path} HTTP/${options.version ?? '1.1'}`,
    ...(options.host === null ? [] : [`Host: ${options.host}`]),
    `X-Telemetry-TID: ${UPSTREAM_TID}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return rawRequest(url, Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`));
}

test('host check: a DNS name the collector is not known by gets 421 naming collector.allowed_hosts, on reads, UI, health and ingest; nothing is stored', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { allowed_hosts: ['telemetry.example.org'] } });
  const { port } = new URL(collector.url);
  // A rebinding page's requests carry its own name, also when that name resolves to loopback.
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.nip.io:${port}`, 'example.org', 'org']) {
    for (const [method, path] of [
      ['GET', '/api/records'],
      ['GET', '/api/stats'],
      ['GET', '/'],
      ['GET', '/healthz'],
      ['POST', '/v3/collector'],
    ] as const) {
      const response = await request(collector.url, { host, method, path, ...(method === 'POST' ? { body: JSON.stringify(v3Body()) } : {}) });
      assert.equal(response.status, 421, `${method} ${path} with Host ${host}`);
      assert.deepEqual(response.json(), { message: `this collector does not answer to Host ${JSON.stringify(host)}; add the name to collector.allowed_hosts` });
    }
  }
  const listed = await request(collector.url, { host: '127.0.0.1', path: '/api/records' });
  assert.deepEqual(listed.json().records, []);
});

test("host check: IP literals, localhost, this machine's hostname, allowed_hosts (any case, any port, trailing dot) and HTTP/1.0 without Host are answered", async (t) => {
  const collector = await startCollectorProcess(t, { collector: { allowed_hosts: ['telemetry.example.org', 'Collector.Lab'] } });
  const { port } = new URL(collector.url);
  const hosts = [
    `127.0.0.1:${port}`,
    '127.0.0.1',
    `[::1]:${port}`,
    '10.1.2.3:8080',
    `localhost:${port}`,
    'LOCALHOST',
    hostname(),
    `${hostname()}:${port}`,
    'telemetry.example.org',
    'Telemetry.Example.ORG.:443',
    'collector.lab:8080',
  ];
  for (const host of hosts) {
    const response = await request(collector.url, { host, path: '/healthz' });
    assert.equal(response.status, 200, `Host ${host}: ${response.body.toString()}`);
  }
  const ingest = await request(collector.url, { host: 'telemetry.example.org', method: 'POST', path: '/v3/collector', body: JSON.stringify(v3Body()) });
  assert.equal(ingest.status, 201, 'configured names apply to ingest too');
  const old = await request(collector.url, { host: null, version: '1.0', path: '/api/records' });
  assert.equal(old.status, 200, 'an HTTP/1.0 request without Host names no site a page could be served from');
  assert.equal((old.json().records as unknown[]).length, 1);
});

test('host check: allowed_hosts "*" answers any Host (for a collector behind a proxy that checks it)', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { allowed_hosts: ['*'] } });
  assert.equal((await request(collector.url, { host: 'anything.example', path: '/healthz' })).status, 200);
});

test('host check: allowed_hosts entries must be host names (no scheme, port or path)', () => {
  const base = { apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'hosts' } };
  for (const bad of ['https://telemetry.example.org', 'telemetry.example.org:8080', 'telemetry.example.org/v3', '']) {
    const { policy, diagnostics } = validatePolicyValue({ ...base, collector: { allowed_hosts: [bad] } });
    assert.equal(policy, null, bad);
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.path.join('.'), diagnostic.message]),
      [['collector.allowed_hosts.0', 'expected a host name such as "telemetry.example.org", or "*"']],
    );
  }
  assert.notEqual(validatePolicyValue({ ...base, collector: { allowed_hosts: ['telemetry.example.org', '*'] } }).policy, null);
});
