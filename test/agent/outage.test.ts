import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function policy(url: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: outage }
consent: { require_opt_in: false }
spool: { retry: { interval: 100ms, max_interval: 400ms, jitter: 0 } }
destinations:
  central: { type: http, url: "${url}", concurrency: 1 }
routes:
  - { name: default, to: [central] }
`;
}

const payloadsOf = (bodies: Buffer[]) => bodies.map((body) => (JSON.parse(body.toString('utf8')) as { payload: string }).payload);

test('agent: while the collector is down records wait in the spool; afterwards all arrive, oldest first, none twice', async (t) => {
  const root = await tempDir(t);
  let down = true;
  const sink = await startHttpSink(t, { respond: () => (down ? { status: 503 } : { status: 201 }) });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/v3/collector'))) });
  const sent = Array.from({ length: 20 }, (_, index) => `record ${String(index).padStart(2, '0')}`);
  for (const payload of sent) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
  await waitUntil(() => sink.requests.length >= 3, 10_000, 'retries while down');
  down = false;
  const delivered = () => sink.requests.filter((_, index) => index >= 0).map((request) => request.body);
  await waitUntil(() => new Set(payloadsOf(delivered())).size === sent.length && agent.logs.filter((l) => l.msg === 'delivery failed; will retry').length > 0, 15_000, 'every record after recovery');
  // Only the first record was retried while down; everything after recovery went once, in order.
  const successes = payloadsOf(sink.requests.slice(sink.requests.length - sent.length).map((request) => request.body));
  assert.deepEqual(successes, sent);
  await agent.stop();
  const firstAttempts = payloadsOf(sink.requests.map((request) => request.body)).filter((payload) => payload !== 'record 00');
  assert.deepEqual(firstAttempts, sent.slice(1), 'no record other than the head was sent while the collector was down, and none twice');
});

test('agent: records spooled before a kill -9 are all delivered after a restart', async (t) => {
  const root = await tempDir(t);
  let down = true;
  const sink = await startHttpSink(t, { respond: () => (down ? { status: 500 } : { status: 201 }) });
  const policyFile = await writePolicy(root, policy(sink.url('/v3/collector')));
  const first = await startAgent(t, { root, policy: policyFile });
  const sent = Array.from({ length: 30 }, (_, index) => `crash-safe ${index}`);
  for (const payload of sent) assert.equal(await sendRaw(first.socketPath, [testFrame({ payload })]), null);
  await waitUntil(() => sink.requests.length >= 1, 10_000, 'a first failed attempt');
  // Give the spool's group commit time to make the last record durable, then crash.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await first.kill();
  down = false;
  const before = sink.requests.length;
  const second = await startAgent(t, { root, policy: policyFile });
  await second.waitForLog((line) => line.msg === 'recovered records from the spool; delivering them now');
  await waitUntil(() => sink.requests.length - before >= sent.length, 15_000, 'delivery after restart');
  await second.stop();
  assert.deepEqual(payloadsOf(sink.requests.slice(before).map((request) => request.body)), sent);
});
