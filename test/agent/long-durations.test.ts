/**
 * Durations of 24.8 days or more: Node turns a timer delay above 2^31−1 ms into 1 ms, so
 * `intake.read_timeout: 30d` used to reject good records as timeouts, `retry.interval: 30d` spun
 * a 1 ms retry loop, and a 30-day HTTP timeout failed every request at once. Every policy
 * duration that feeds a timer now waits as long as it says.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus } from '../reliability/agent-probe.js';

test('agent: a 30-day read_timeout and HTTP timeouts let every good record through', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const policy = await writePolicy(
    root,
    oneRoutePolicy({
      name: 'long-timeouts',
      destination: `{ type: http, url: "${sink.url()}", timeout: 30d, connect_timeout: 30d }`,
      extra: 'intake: { read_timeout: 30d }\n',
    }),
  );
  const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'] });
  for (let batch = 0; batch < 10; batch += 1) {
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => sendRaw(agent.socketPath, [testFrame({ payload: `good ${batch}-${index}` })])));
    assert.deepEqual(
      results.filter((result) => result !== null),
      [],
    );
  }
  await waitUntil(() => sink.requests.length === 100, 10_000, 'all 100 delivered');
  const status = (await agentStatus(agent)) as unknown as { intake: { accepted: number; refused: Record<string, number> }; drops: Record<string, number> };
  assert.equal(status.intake.accepted, 100);
  assert.deepEqual(status.intake.refused, {});
  assert.deepEqual(status.drops, {});
});

test('agent: a 30-day retry interval waits (one attempt, one warning), instead of retrying every millisecond', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, { respond: () => ({ status: 503 }) });
  const policy = await writePolicy(
    root,
    oneRoutePolicy({
      name: 'long-retry',
      destination: `{ type: http, url: "${sink.url()}", concurrency: 1 }`,
      extra: 'spool: { expiry: 90d, retry: { interval: 30d, max_interval: 60d, jitter: 0 } }\n',
    }),
  );
  const agent = await startAgent(t, { root, policy });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'waits a month' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'the first attempt');
  await sleep(1500);
  assert.equal(sink.requests.length, 1, 'no second attempt within 1.5 s');
  assert.equal(agent.logs.filter((line) => line.msg === 'delivery failed; will retry').length, 1);
  // A delay Node cannot hold turns into a 1 ms timer loop, each turn printing a TimeoutOverflowWarning.
  assert.deepEqual(
    agent.logs.filter((line) => JSON.stringify(line).includes('TimeoutOverflowWarning')),
    [],
  );
  assert.equal(await agent.stop(), 0);
});
