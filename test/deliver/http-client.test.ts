import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createDestinationClient } from '../../engine/deliver/create-client.js';
import type { DestinationClient } from '../../engine/deliver/destination.js';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { startHttpSink, type SinkAnswer } from '../helpers/http-sink.js';
import { capturedRequest } from './captures.js';
import { recordFromJsonBody, recordFromV2Request, resolvedDestination, sampleRecord } from './fixtures.js';

function httpClient(t: TestContext, spec: Record<string, unknown>, root = '/'): DestinationClient {
  const client = createDestinationClient(resolvedDestination({ type: 'http', ...spec }), { root });
  t.after(() => client.close());
  return client;
}

/** A captured head as our client sends it to `port`: Node always states the connection it keeps. */
function expectedHead(captured: string, port: number): string {
  return captured.replace(/^Host: 127\.0\.0\.1:\d+\r\n/m, `Host: 127.0.0.1:${port}\r\n`).replace(/\r\n\r\n$/, '\r\nConnection: keep-alive\r\n\r\n');
}

test('http v3: the request is byte for byte what upstream sent (capture PART 1 #1), plus a keep-alive Connection line', async (t) => {
  const captured = capturedRequest('PART 1', 1);
  const sink = await startHttpSink(t);
  const client = httpClient(t, { protocol: 'v3', url: sink.url('/v3/collector') });
  assert.deepEqual(await client.deliver(recordFromJsonBody(captured.body)), { outcome: 'delivered', status: 201 });
  assert.equal(sink.requests.length, 1);
  assert.equal(sink.requests[0]?.head, expectedHead(captured.head, sink.port));
  assert.deepEqual(sink.requests[0]?.body, captured.body);
});

test('http v3: payloads with quotes, backslashes, tabs and newlines are escaped as upstream did (capture PART 1 #4)', async (t) => {
  const captured = capturedRequest('PART 1', 4);
  const sink = await startHttpSink(t);
  const client = httpClient(t, { url: sink.url() });
  await client.deliver(recordFromJsonBody(captured.body));
  assert.equal(sink.requests[0]?.body.toString('latin1'), captured.body.toString('latin1'));
});

test('http v3: values with spaces are sent in full and the payload is sent without an added newline', async (t) => {
  const sink = await startHttpSink(t);
  const client = httpClient(t, { url: sink.url() });
  await client.deliver(sampleRecord({ cpu_model: 'Intel(R) Xeon(R) Processor @ 2.50GHz', host_type: 'a b|c|d' }, 'päyload/€'));
  const body = JSON.parse(sink.requests[0]?.body.toString('utf8') ?? '') as Record<string, string>;
  assert.deepEqual(Object.keys(body), [...RECORD_HEADERS, 'payload']);
  assert.equal(body.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz');
  assert.equal(body.host_type, 'a b|c|d');
  assert.equal(body.payload, 'päyload/€');
  assert.match(sink.requests[0]?.body.toString('utf8') ?? '', /"payload":"päyload\/€"}$/);
});

test('http v2: the fifteen headers travel as HTTP headers, byte for byte as upstream v2.3.5 sent them (capture PART 2 #1)', async (t) => {
  const captured = capturedRequest('PART 2', 1);
  const sink = await startHttpSink(t);
  const client = httpClient(t, { protocol: 'v2', url: sink.url('/v2/collector') });
  assert.equal((await client.deliver(recordFromV2Request(captured.head, captured.body))).outcome, 'delivered');
  assert.equal(sink.requests[0]?.head, expectedHead(captured.head, sink.port));
  assert.deepEqual(sink.requests[0]?.body, captured.body);
});

test('http v2: UTF-8 header values reach the wire as their UTF-8 bytes', async (t) => {
  const sink = await startHttpSink(t);
  const client = httpClient(t, { protocol: 'v2', url: sink.url('/v2/collector') });
  await client.deliver(sampleRecord({ cpu_model: 'Ryzen™ 7 (8 cœurs)' }));
  const head = Buffer.from(sink.requests[0]?.head ?? '', 'latin1');
  assert.ok(head.includes(Buffer.from('\r\ncpu_model: Ryzen™ 7 (8 cœurs)\r\n', 'utf8')));
});

test('http v2: a header value holding a newline is rejected without sending anything', async (t) => {
  const sink = await startHttpSink(t);
  const client = httpClient(t, { protocol: 'v2', url: sink.url('/v2/collector') });
  assert.deepEqual(await client.deliver(sampleRecord({ bios_version: 'a\r\nX-Injected: 1' })), { outcome: 'rejected', reason: 'invalid_header' });
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'delivered', status: 201 });
  assert.equal(sink.requests.length, 1);
  assert.doesNotMatch(sink.requests[0]?.head ?? '', /X-Injected/);
});

test('http: the TID header, tenant and policy headers are sent; framing headers from the policy are ignored', async (t) => {
  const sink = await startHttpSink(t);
  const client = httpClient(t, {
    url: sink.url('/v3/collector?tenant=a'),
    tid: 'tenant-42',
    tid_header: 'X-Tenant',
    headers: { Authorization: 'Bearer s3cret', 'content-length': '1', Accept: 'application/json' },
  });
  await client.deliver(sampleRecord());
  const head = sink.requests[0]?.head ?? '';
  const length = sink.requests[0]?.body.length;
  assert.equal(
    head,
    `POST /v3/collector?tenant=a HTTP/1.1\r\nHost: 127.0.0.1:${sink.port}\r\nAccept: application/json\r\nX-Tenant: tenant-42\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${length}\r\nAuthorization: Bearer s3cret\r\nConnection: keep-alive\r\n\r\n`,
  );
});

const STATUS_CASES: [status: number, outcome: string][] = [
  [200, 'delivered'],
  [201, 'delivered'],
  [202, 'retry'],
  [204, 'retry'],
  [301, 'retry'],
  [400, 'rejected'],
  [401, 'rejected'],
  [404, 'rejected'],
  [413, 'rejected'],
  [408, 'retry'],
  [429, 'retry'],
  [500, 'retry'],
  [502, 'retry'],
  [503, 'retry'],
];

test('http: each status class maps to delivered, retry (5xx, 408, 429, non-success 2xx/3xx) or rejected (other 4xx)', async (t) => {
  let next = 0;
  const sink = await startHttpSink(t, { respond: () => ({ status: STATUS_CASES[next]?.[0] ?? 500, body: 'detail' }) });
  const client = httpClient(t, { url: sink.url() });
  for (const [status, outcome] of STATUS_CASES) {
    const result = await client.deliver(sampleRecord());
    next += 1;
    assert.equal(result.outcome, outcome, `status ${status}`);
    assert.equal(result.status, status);
    if (result.outcome !== 'delivered') assert.equal(result.reason, `http_${status}`);
  }
});

test('http: success_status replaces the default 200/201', async (t) => {
  const statuses = [204, 201];
  const sink = await startHttpSink(t, { respond: (_request, index) => ({ status: statuses[index] ?? 500 }) });
  const client = httpClient(t, { url: sink.url(), success_status: [204] });
  assert.equal((await client.deliver(sampleRecord())).outcome, 'delivered');
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'http_201', status: 201 });
});

test('http: Retry-After in seconds or as an HTTP date becomes retryAfterMs', async (t) => {
  const inAMinute = new Date(Date.now() + 60_000).toUTCString();
  const answers: SinkAnswer[] = [
    { status: 503, headers: { 'Retry-After': '120' } },
    { status: 429, headers: { 'Retry-After': inAMinute } },
    { status: 503, headers: { 'Retry-After': 'soon' } },
  ];
  const sink = await startHttpSink(t, { respond: (_request, index) => answers[index] ?? { status: 500 } });
  const client = httpClient(t, { url: sink.url() });
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'http_503', status: 503, retryAfterMs: 120_000 });
  const dated = await client.deliver(sampleRecord());
  assert.equal(dated.outcome === 'retry' && dated.reason, 'http_429');
  const wait = dated.outcome === 'retry' ? dated.retryAfterMs : undefined;
  assert.ok(wait !== undefined && wait > 55_000 && wait <= 60_000, `retryAfterMs ${wait}`);
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'http_503', status: 503 });
});

test('http: a collector that never answers is a retry after `timeout`', async (t) => {
  const sink = await startHttpSink(t, { respond: () => ({ status: 201, hang: true }) });
  const client = httpClient(t, { url: sink.url(), timeout: '150ms' });
  const started = Date.now();
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'timeout' });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 140 && elapsed < 2_000, `took ${elapsed} ms`);
});

test('http: a refused connection is a retry naming the network error', async (t) => {
  const sink = await startHttpSink(t);
  await sink.stop();
  const client = httpClient(t, { url: sink.url() });
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'network_econnrefused' });
});

test('http: records share one kept-alive connection', async (t) => {
  const sink = await startHttpSink(t);
  const client = httpClient(t, { url: sink.url() });
  for (let index = 0; index < 5; index += 1) assert.equal((await client.deliver(sampleRecord())).outcome, 'delivered');
  assert.equal(sink.requests.length, 5);
  assert.equal(sink.connections(), 1);
});

test('http: a connection the collector closed while idle is replaced, the record is delivered', async (t) => {
  const sink = await startHttpSink(t, { respond: () => ({ status: 201, closeAfter: true }) });
  const client = httpClient(t, { url: sink.url() });
  assert.equal((await client.deliver(sampleRecord())).outcome, 'delivered');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await client.deliver(sampleRecord())).outcome, 'delivered');
  assert.equal(sink.connections(), 2);
});

test('http: back-to-back records are all delivered when the collector closes every connection after answering', async (t) => {
  const sink = await startHttpSink(t, { respond: () => ({ status: 201, closeAfter: true }) });
  const client = httpClient(t, { url: sink.url() });
  for (let index = 0; index < 30; index += 1) assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'delivered', status: 201 });
  assert.equal(sink.requests.length, 30);
});

test('http: at most `concurrency` requests are in flight, and all records are delivered', async (t) => {
  const sink = await startHttpSink(t, { respond: () => ({ status: 201, delayMs: 60 }) });
  const client = httpClient(t, { url: sink.url(), concurrency: 2 });
  const results = await Promise.all(Array.from({ length: 8 }, () => client.deliver(sampleRecord())));
  assert.ok(results.every((result) => result.outcome === 'delivered'));
  assert.equal(sink.requests.length, 8);
  assert.equal(sink.maxInFlight(), 2);
  assert.equal(sink.connections(), 2);
});

test('http: queued records do not use up their timeout while waiting for a free connection', async (t) => {
  const sink = await startHttpSink(t, { respond: () => ({ status: 201, delayMs: 100 }) });
  const client = httpClient(t, { url: sink.url(), concurrency: 1, timeout: '250ms' });
  const results = await Promise.all(Array.from({ length: 4 }, () => client.deliver(sampleRecord())));
  assert.deepEqual(
    results.map((result) => result.outcome),
    ['delivered', 'delivered', 'delivered', 'delivered'],
  );
});

test('http: close() lets in-flight deliveries finish; later deliveries wait for a new client', async (t) => {
  const sink = await startHttpSink(t, { respond: () => ({ status: 201, delayMs: 80 }) });
  const client = createDestinationClient(resolvedDestination({ type: 'http', url: sink.url() }), { root: '/' });
  const inFlight = client.deliver(sampleRecord());
  await new Promise((resolve) => setTimeout(resolve, 20));
  await client.close();
  assert.deepEqual(await inFlight, { outcome: 'delivered', status: 201 });
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'client_closed' });
});
