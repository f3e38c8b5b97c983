/** The collector's HTTP contract around validation: routes, statuses, limits, tokens, retransmits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { BACKENDS, UPSTREAM_TID, postV2, postV3, rawHttp, rawRequest, startTestCollector, v2Headers, v3Body } from '../collector-helpers.js';

for (const backend of BACKENDS) {
  test(`retransmits on ${backend.name}: a record sent three times is stored once, each answer 201 with the same row`, { skip: backend.skip }, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const answers = [];
    for (let attempt = 0; attempt < 3; attempt += 1) answers.push(await postV3(collector, v3Body()));
    for (let attempt = 0; attempt < 3; attempt += 1) answers.push(await postV2(collector, v2Headers({ classification: 'org.example/v2/resend', event_id: 'aa'.repeat(16) })));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [201, 201, 201, 201, 201, 201],
    );
    assert.deepEqual(
      answers.map((answer) => answer.headers['x-telem-duplicate'] ?? 'new'),
      ['new', 'true', 'true', 'new', 'true', 'true'],
    );
    assert.equal(answers[1]?.json().id, answers[0]?.json().id);
    const stored = await collector.store.list({ filter: {}, limit: 10 });
    assert.deepEqual(stored.map((record) => record.classification).sort(), ['org.clearlinux/hello/world', 'org.example/v2/resend']);
  });

  test(`retransmits on ${backend.name}: concurrent copies of one record in one batch are stored once`, { skip: backend.skip }, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const bodies = [v3Body(), v3Body(), v3Body({}, 'other payload'), v3Body()];
    const answers = await Promise.all(bodies.map((body) => postV3(collector, body)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [201, 201, 201, 201],
    );
    assert.equal(new Set(answers.map((answer) => answer.json().id)).size, 2);
    assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 2);
  });
}

test('ingest: the same record with another creation time or payload is a new record', async (t) => {
  const collector = await startTestCollector(t);
  await postV3(collector, v3Body());
  await postV3(collector, v3Body({ creation_timestamp: '1700000001' }));
  await postV3(collector, v3Body({}, 'hello again\n'));
  assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 3);
});

test('ingest: POST / is the v2 endpoint, as upstream', async (t) => {
  const collector = await startTestCollector(t);
  const response = await postV2(collector, v2Headers(), 'via root\n', '/');
  assert.equal(response.status, 201);
  assert.equal(response.json().protocol, 'v2');
});

test('ingest: GET on the collector URLs redirects to the UI, other methods get 405 with Allow', async (t) => {
  const collector = await startTestCollector(t);
  const get = await fetch(new URL('/v2/collector', collector.url), { redirect: 'manual' });
  assert.equal(get.status, 302);
  assert.equal(get.headers.get('location'), '/');
  const put = await fetch(new URL('/v2/collector', collector.url), { method: 'PUT', body: 'x' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
  assert.deepEqual(await put.json(), { message: 'method PUT is not allowed here; use GET, HEAD, POST, OPTIONS' });
  const del = await fetch(new URL('/v3/collector', collector.url), { method: 'DELETE' });
  assert.equal(del.status, 405);
  const apiPost = await fetch(new URL('/api/records', collector.url), { method: 'POST', body: '{}' });
  assert.deepEqual([apiPost.status, apiPost.headers.get('allow')], [405, 'GET, HEAD']);
});

test('ingest: unknown paths get 404 with a message, nothing stored', async (t) => {
  const collector = await startTestCollector(t);
  const response = await rawRequest(collector.url, rawHttp({ path: '/v3/alt-collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(v3Body()) }));
  assert.deepEqual([response.status, response.json()], [404, { message: 'nothing here: POST /v3/alt-collector' }]);
  assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 0);
});

test('ingest: a body over max_body gets 413 before anything is parsed', async (t) => {
  const collector = await startTestCollector(t, { settings: { max_body: 1024 } });
  const declared = await postV2(collector, v2Headers(), 'x'.repeat(1025));
  assert.deepEqual([declared.status, declared.json()], [413, { message: 'request body is larger than the collector accepts (1KiB)' }]);
  // Chunked: no Content-Length to refuse up front, the limit applies while reading.
  const head = 'POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nX-Telemetry-TID: ' + UPSTREAM_TID + '\r\n\r\n';
  const chunk = 'y'.repeat(2000);
  const chunked = await rawRequest(collector.url, Buffer.from(`${head}${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`));
  assert.equal(chunked.status, 413);
  const exact = await postV2(collector, v2Headers(), 'x'.repeat(1024));
  assert.equal(exact.status, 201, 'a body of exactly max_body is accepted');
  assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 1);
});

test('ingest: a request Node cannot parse gets a JSON 400, not a dropped connection', async (t) => {
  const collector = await startTestCollector(t);
  const response = await rawRequest(collector.url, Buffer.from('POST /v2/collector HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n'));
  assert.equal(response.status, 400);
  assert.match(response.json().message as string, /^malformed HTTP request/);
});

test('tenants: only configured TIDs are accepted; a tenant with tokens needs a valid bearer token', async (t) => {
  const collector = await startTestCollector(t, {
    settings: {
      tenants: [
        { tid: UPSTREAM_TID, tokens: [] },
        { tid: 'team-b', tokens: [tokenDigest('s3cret-b'), tokenDigest('rotated-b')] },
      ],
    },
  });
  const open = await postV3(collector, v3Body({}, 'open tenant\n'));
  assert.equal(open.status, 201);
  assert.equal(open.json().tenant, UPSTREAM_TID);

  const missing = await postV3(collector, v3Body({}, 'b1\n'), { 'X-Telemetry-TID': 'team-b' });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer');
  assert.deepEqual(missing.json(), { message: 'this tenant requires "Authorization: Bearer <token>" with a valid token' });
  const wrong = await postV3(collector, v3Body({}, 'b2\n'), { 'X-Telemetry-TID': 'team-b', Authorization: 'Bearer s3cret-a' });
  assert.equal(wrong.status, 401);

  for (const token of ['s3cret-b', 'rotated-b']) {
    const right = await postV3(collector, v3Body({}, `b ${token}\n`), { 'X-Telemetry-TID': 'team-b', Authorization: `Bearer ${token}` });
    assert.equal(right.status, 201);
    assert.equal(right.json().tenant, 'team-b');
  }
  const unknown = await postV3(collector, v3Body({}, 'c\n'), { 'X-Telemetry-TID': 'team-c', Authorization: 'Bearer s3cret-b' });
  assert.deepEqual([unknown.status, unknown.json()], [400, { message: 'Telemetry ID mismatch' }]);
  assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 3);
});

test('ingest: /healthz answers for load balancers', async (t) => {
  const collector = await startTestCollector(t);
  const response = await fetch(new URL('/healthz', collector.url));
  assert.deepEqual(await response.json(), { status: 'ok', backend: 'sqlite' });
});
