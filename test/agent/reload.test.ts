import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { closedPort } from '../helpers/closed-port.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function policy(url: string, revision: number): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: reload, revision: ${revision} }
consent: { require_opt_in: false }
destinations:
  central: { type: http, url: "${url}" }
routes:
  - { name: default, to: [central] }
`;
}

test('reload: an invalid new policy file is reported and the agent keeps running the old one', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const file = await writePolicy(root, policy(sink.url('/v3/collector'), 1));
  const agent = await startAgent(t, { root, policy: file });
  await writeFile(file, policy(sink.url('/v3/collector'), 2).replace('to: [central]', 'to: [nowhere]'));
  const report = await agent.waitForLog((line) => line.msg === 'new policy has errors; still running the previous one');
  assert.match(JSON.stringify(report.diagnostics), /unknown-destination/);
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'still here' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'delivery under the old policy');
});

test('reload: a valid change of the policy file takes effect without a restart', async (t) => {
  const root = await tempDir(t);
  const first = await startHttpSink(t);
  const second = await startHttpSink(t);
  const file = await writePolicy(root, policy(first.url('/v3/collector'), 1));
  const agent = await startAgent(t, { root, policy: file });
  await sendRaw(agent.socketPath, [testFrame({ payload: 'before' })]);
  await waitUntil(() => first.requests.length === 1, 5000, 'delivery before the change');
  await writeFile(file, policy(second.url('/v3/collector'), 2));
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 2);
  await sendRaw(agent.socketPath, [testFrame({ payload: 'after' })]);
  await waitUntil(() => second.requests.length === 1, 5000, 'delivery to the new destination');
  assert.equal(first.requests.length, 1);
  assert.equal(agent.child.exitCode, null, 'the same process, never restarted');
});

test('reload: SIGHUP applies a changed policy file, and SIGHUP on an unchanged file keeps the agent running it', async (t) => {
  const root = await tempDir(t);
  const first = await startHttpSink(t);
  const second = await startHttpSink(t);
  // The agent is given a symlink and the edit goes to its target in another directory: the file
  // watcher (which watches the symlink's directory) sees no change, so only SIGHUP can apply it.
  const real = await writePolicy(await tempDir(t), policy(first.url('/v3/collector'), 1));
  const file = path.join(root, 'policy.yaml');
  await symlink(real, file);
  const agent = await startAgent(t, { root, policy: file });
  const reloads = () => agent.logs.filter((line) => line.msg === 'policy reloaded');
  await writeFile(real, policy(second.url('/v3/collector'), 2));
  await sleep(1000);
  assert.deepEqual(reloads(), [], 'no reload before SIGHUP');

  agent.child.kill('SIGHUP');
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 2);
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'after the change' })]), null);
  await waitUntil(() => second.requests.length === 1, 5000, 'delivery to the destination of the new policy');
  assert.equal(first.requests.length, 0, 'nothing to the destination of the old policy');

  agent.child.kill('SIGHUP');
  await waitUntil(() => reloads().length === 2, 5000, 'a second reload, of the unchanged file');
  assert.equal(reloads()[1]?.revision, 2);
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'after the unchanged reload' })]), null);
  await waitUntil(() => second.requests.length === 2, 5000, 'delivery under the same policy after the unchanged reload');
  assert.equal(first.requests.length, 0);
  assert.equal(agent.child.exitCode, null, 'the same process, never restarted');
});

test("reload: a destination whose settings change (same name) is tried at once, not after the old settings' backoff", async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const down = `http://127.0.0.1:${await closedPort()}/v3/collector`;
  const withRetry = (url: string, revision: number) => policy(url, revision).replace('destinations:', 'spool: { retry: { interval: 60s, max_interval: 60s, jitter: 0 } }\ndestinations:');
  const file = await writePolicy(root, withRetry(down, 1));
  const agent = await startAgent(t, { root, policy: file });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'sent while down' })]), null);
  await agent.waitForLog((line) => line.msg === 'delivery failed; will retry' && line.retryInMs === 60_000);
  await writeFile(file, withRetry(sink.url('/v3/collector'), 2));
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 2);
  await waitUntil(() => sink.requests.length === 1, 5000, 'the waiting record delivered under the new settings');
});
