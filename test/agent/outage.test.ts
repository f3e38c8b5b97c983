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
  // The status each request was answered with, by request index: 503 while down, 201 after.
  const answered: number[] = [];
  const sink = await startHttpSink(t, {
    respond: (_request, index) => {
      answered[index] = down ? 503 : 201;
      return { status: answered[index] };
    },
  });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/v3/collector'))) });
  const sent = Array.from({ length: 20 }, (_, index) => `record ${String(index).padStart(2, '0')}`);
  for (const payload of sent) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
  await waitUntil(() => sink.requests.length >= 3, 10_000, 'retries while down');
  down = false;
  const answeredWith = (status: number) => payloadsOf(sink.requests.filter((_, index) => answered[index] === status).map((request) => request.body));
  await waitUntil(() => answeredWith(201).length >= sent.length, 15_000, 'every record after recovery');
  await agent.stop();
  assert.deepEqual(answeredWith(201), sent, 'the records the collector took: all of them, oldest first, none twice');
  const refused = answeredWith(503);
  assert.ok(refused.length >= 3, `${refused.length} attempts while down`);
  assert.deepEqual([...new Set(refused)], ['record 00'], 'only the head of the spool was tried while the collector was down');
  assert.ok(agent.logs.some((line) => line.msg === 'delivery failed; will retry'));
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
