import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJournal } from '../../engine/journal/read-journal.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function policy(url: string, whenExceeded: 'spool' | 'drop'): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: limits }
consent: { require_opt_in: false }
destinations:
  central: { type: http, url: "${url}" }
routes:
  - name: default
    to: [central]
    rate_limit: { records: 5/2s, when_exceeded: ${whenExceeded} }
`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('rate limit "spool": five records go at once, the rest wait for the window and then go', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/v3/collector'), 'spool')) });
  const started = Date.now();
  for (let index = 0; index < 8; index += 1) await sendRaw(agent.socketPath, [testFrame({ payload: `r${index}` })]);
  await waitUntil(() => sink.requests.length === 5, 5000, 'the first five');
  await sleep(500);
  assert.equal(sink.requests.length, 5, 'the sixth waits for the window');
  await waitUntil(() => sink.requests.length === 8, 8000, 'the rest after the window');
  assert.ok(Date.now() - started >= 1900, 'the rest went only once the 2 s window had passed');
  const payloads = sink.requests.map((request) => (JSON.parse(request.body.toString()) as { payload: string }).payload);
  assert.deepEqual(payloads, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
});

test('rate limit "drop": records over the limit are journaled as dropped with reason rate_limited', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/v3/collector'), 'drop')) });
  for (let index = 0; index < 8; index += 1) await sendRaw(agent.socketPath, [testFrame({ payload: `r${index}` })]);
  await waitUntil(() => sink.requests.length === 5, 5000, 'the first five');
  assert.equal(await agent.stop(), 0);
  assert.equal(sink.requests.length, 5);
  const { entries } = await readJournal({ file: `${root}/var/log/telemetry/journal` });
  const outcomes = entries.map((entry) => `${entry.outcome}:${entry.reason ?? ''}`);
  assert.equal(outcomes.filter((outcome) => outcome === 'delivered:').length, 5);
  assert.equal(outcomes.filter((outcome) => outcome === 'dropped:rate_limited').length, 3);
});

test('telem status: the drop ledger counts journaled drops by reason', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const file = await writePolicy(root, policy(sink.url('/v3/collector'), 'drop'));
  const agent = await startAgent(t, { root, policy: file });
  for (let index = 0; index < 7; index += 1) await sendRaw(agent.socketPath, [testFrame({ payload: `r${index}` })]);
  await waitUntil(() => sink.requests.length === 5, 5000, 'the first five');
  await agent.stop();
  const status = await runCli(['--root', root, 'status', '--format', 'json']);
  assert.deepEqual((JSON.parse(status.stdout) as { drops: Record<string, number> }).drops, { rate_limited: 2 });
});
