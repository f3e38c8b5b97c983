import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
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

test('reload: SIGHUP re-reads the policy', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const file = await writePolicy(root, policy(sink.url('/v3/collector'), 1));
  const agent = await startAgent(t, { root, policy: file });
  agent.child.kill('SIGHUP');
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 1);
});
