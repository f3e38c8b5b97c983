/**
 * A destination that answers 4xx (a wrong tenant id, a wrong path, v3 sent to a v2 server) has
 * made a mistake an operator fixes once: the record stays spooled and is retried on its own
 * backoff until it expires, without holding up the records behind it, and status and /metrics
 * show it held back with the server's answer. `on_reject: drop` drops (journaled, counted).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus, eventually, journalEntries, metric } from '../reliability/agent-probe.js';

const payloadOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { payload: string }).payload;
const MISMATCH = '{"message":"Telemetry ID mismatch"}';

interface Held {
  readonly destinations: Record<string, { state: string; held: number; lastRefusal: { status: number; answer: string } | null }>;
}

function policy(url: string, extra = '', expiry = '1h'): string {
  return oneRoutePolicy({
    name: 'rejection',
    destination: `{ type: http, url: "${url}", concurrency: 1${extra} }`,
    extra: `spool: { expiry: ${expiry}, retry: { interval: 100ms, max_interval: 400ms, jitter: 0 } }\n`,
  });
}

test('agent: a record the collector refuses with 400 stays spooled, is retried until the mistake is fixed, and does not hold up the others', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  let fixed = false;
  const sink = await startHttpSink(t, { respond: (request) => (!fixed && payloadOf(request.body) === 'refused' ? { status: 400, body: MISMATCH } : { status: 201 }) });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url())), args: ['--metrics', '127.0.0.1:0'] });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'refused' })]), null);
  for (const payload of ['after-1', 'after-2', 'after-3']) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
  const delivered = () => sink.requests.map((request) => payloadOf(request.body));
  await waitUntil(() => ['after-1', 'after-2', 'after-3'].every((payload) => delivered().includes(payload)), 5000, 'the records behind the refused one');
  await waitUntil(() => delivered().filter((payload) => payload === 'refused').length >= 2, 5000, 'the refused record retried');

  const status = (await agentStatus(agent)) as unknown as Held;
  assert.equal(status.destinations.central?.state, 'refusing');
  assert.equal(status.destinations.central?.held, 1);
  assert.equal(status.destinations.central?.lastRefusal?.status, 400);
  assert.equal(status.destinations.central?.lastRefusal?.answer, MISMATCH);
  assert.equal(await metric(agent, 'telem_destination_held_records{destination="central"}'), 1);
  assert.ok((await metric(agent, 'telem_delivery_refusals_total{destination="central",status="400"}')) >= 2);
  assert.equal(await metric(agent, 'telem_drops_total'), 0, 'nothing dropped');

  fixed = true;
  await eventually(
    () => journalEntries(root),
    (entries) => entries.filter((entry) => entry.outcome === 'delivered').length === 4,
    { timeoutMs: 5000, what: 'all four delivered' },
  );
  assert.deepEqual(
    (await journalEntries(root)).filter((entry) => entry.outcome !== 'delivered'),
    [],
    'no record was journaled as rejected',
  );
  assert.equal(((await agentStatus(agent)) as unknown as Held).destinations.central?.held, 0);
});

test('agent: a refused record is kept until it expires, then journaled as expired', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, { respond: () => ({ status: 404, body: '{"message":"no such path"}' }) });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url(), '', '2s')), args: ['--metrics', '127.0.0.1:0'] });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'expires' })]), null);
  const entries = await eventually(
    () => journalEntries(root),
    (lines) => lines.length === 1,
    { timeoutMs: 10_000, what: 'the expiry in the journal' },
  );
  assert.deepEqual(
    entries.map((entry) => `${entry.outcome} ${entry.reason}`),
    ['expired expired'],
  );
  assert.ok(sink.requests.length >= 2, 'it was retried while it lived');
  assert.equal(await metric(agent, 'telem_spool_records'), 0);
});

test('agent: with on_reject: drop a refused record is journaled as rejected with the status, and counted', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, { respond: () => ({ status: 400, body: MISMATCH }) });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url(), ', on_reject: drop')), args: ['--metrics', '127.0.0.1:0'] });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'dropped' })]), null);
  const entries = await eventually(
    () => journalEntries(root),
    (lines) => lines.length === 1,
    { timeoutMs: 5000, what: 'the rejection in the journal' },
  );
  assert.deepEqual(
    entries.map((entry) => `${entry.outcome} ${entry.reason} ${entry.destination}`),
    ['rejected http_400 central'],
  );
  assert.equal(sink.requests.length, 1, 'sent once, never retried');
  assert.equal(await metric(agent, 'telem_drops_total{reason="http_400"}'), 1);
});

test('agent: concurrent requests failing together count as one failed round, so the backoff grows per round, not per request', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, { respond: () => ({ status: 503 }) });
  const file = await writePolicy(
    root,
    oneRoutePolicy({
      name: 'rounds',
      destination: `{ type: http, url: "${sink.url()}", concurrency: 8 }`,
      extra: 'spool: { retry: { interval: 100ms, max_interval: 1h, jitter: 0 } }\n',
    }),
  );
  const agent = await startAgent(t, { root, policy: file });
  await Promise.all(Array.from({ length: 8 }, (_, index) => sendRaw(agent.socketPath, [testFrame({ payload: `round ${index}` })])));
  // Three rounds of eight: 100 ms, then 200 ms between them. Counting requests instead, the third
  // round would wait 100 ms × 2^15 (capped at an hour) and never come.
  await waitUntil(() => sink.requests.length >= 24, 10_000, 'three rounds of eight requests');
  await agent.waitForLog((line) => line.msg === 'delivery failed; will retry' && line.failures === 3);
  const rounds = agent.logs.filter((line) => line.msg === 'delivery failed; will retry').map((line) => [line.failures, line.retryInMs]);
  assert.deepEqual(rounds.slice(0, 3), [
    [1, 100],
    [2, 200],
    [3, 400],
  ]);
  // One line (and one step of the backoff) per round: never more rounds counted than were sent.
  assert.ok(rounds.length <= Math.ceil(sink.requests.length / 8) + 1, `${rounds.length} failures counted for ${sink.requests.length} requests`);
});
