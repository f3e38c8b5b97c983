/**
 * `telem status` tells the truth about the running agent: the policy it was started with (not
 * what a search would find), its revision, and during a collector outage the failing destination,
 * since when, the next retry and the backlog; it says plainly when no agent runs, and when the
 * last one died.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function policy(url: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: fleet-east, revision: 12 }
consent: { require_opt_in: false }
spool: { max_size: 5MiB, retry: { interval: 30s, max_interval: 1h, jitter: 0 } }
destinations:
  central: { type: http, url: "${url}" }
routes: [{ name: all, to: [central] }]
`;
}

interface Report {
  agent: { state: string; running: boolean; pid: number };
  policy: { name: string; revision: number; source: string; sha256: string };
  spool: { records: number };
  destinations: Record<string, { state: string; failingSince: string | null; nextRetryAt: string | null; queued: number; inFlight: number; lastError: { status: number } | null }>;
}

test(
  'telem status: names the policy the agent was started with (--policy FILE) and, during an outage, the failing destination, since when, the next retry and the backlog',
  { timeout: 30_000 },
  async (t) => {
    const root = await tempDir(t);
    const sink = await startHttpSink(t, { respond: () => ({ status: 503, body: 'down for maintenance' }) });
    const file = await writePolicy(root, policy(sink.url()), 'east.policy.yaml');
    const agent = await startAgent(t, { root, policy: file });
    for (let index = 0; index < 3; index += 1) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: `waiting ${index}` })]), null);
    await waitUntil(() => sink.requests.length >= 1, 5000, 'a first failed delivery');

    let report: Report | undefined;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const json = await runCli(['--root', root, 'status', '--format', 'json']);
      report = JSON.parse(json.stdout) as Report;
      if (report.destinations.central?.state === 'failing' && report.spool?.records === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(report);
    assert.deepEqual([report.agent.state, report.agent.pid], ['running', agent.child.pid]);
    const applied = JSON.parse(await readFile(path.join(root, 'run/telem/agent-policy.json'), 'utf8')) as { sha256: string };
    assert.deepEqual(report.policy, { name: 'fleet-east', revision: 12, source: file, sha256: applied.sha256 });
    const central = report.destinations.central;
    assert.equal(central?.state, 'failing');
    assert.equal(central?.lastError?.status, 503);
    assert.ok(central?.failingSince && central.nextRetryAt && Date.parse(central.nextRetryAt) > Date.parse(central.failingSince));
    assert.equal((central?.queued ?? 0) + (central?.inFlight ?? 0), 3);

    const text = (await runCli(['--root', root, 'status'])).stdout;
    assert.match(text, new RegExp(`^agent: +running \\(pid ${agent.child.pid}, since \\S+\\), listening on ${agent.socketPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    assert.match(text, new RegExp(`^policy: +fleet-east revision 12, from ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, sha256 ${applied.sha256.slice(0, 12)}$`, 'm'));
    assert.match(text, /^spool: +3 records, \d+B of 5MiB \(.*var\/spool\/telemetry\)$/m);
    assert.match(text, /^destination central: failing since \S+ \(HTTP 503 "down for maintenance"\); next retry \S+ \(in \d+s\); 3 waiting; no success yet$/m);

    await agent.kill();
    const died = (await runCli(['--root', root, 'status'])).stdout;
    assert.match(died, new RegExp(`^agent: +not running \\(nothing listens on .*; the last one, pid ${agent.child.pid}, died without stopping: last seen at \\S+\\)$`, 'm'));
    // Not running: the policy shown is what a start would load (the search under the root), said as such.
    assert.match(died, /^policy: +.*; what a start would run$/m);
  },
);

test('telem status: a clean stop is reported as stopped, with drops and intake refusals counted across the restart', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(
    root,
    `apiVersion: telem/v1
kind: Policy
metadata: { name: drops }
consent: { require_opt_in: false }
collection: { deny: ["*/secret/*"] }
destinations: { here: { type: local } }
routes: [{ name: all, to: [here] }]
`,
  );
  for (const run of [1, 2]) {
    const agent = await startAgent(t, { root, policy: file });
    assert.equal(await sendRaw(agent.socketPath, [testFrame({ classification: 'org.example/secret/x', payload: `denied ${run}` })]), null);
    // Four bytes saying the frame is 4 bytes long: refused by the intake.
    await sendRaw(agent.socketPath, [Buffer.from([4, 0, 0, 0])]);
    assert.equal(await agent.stop(), 0);
  }
  const report = JSON.parse((await runCli(['--root', root, 'status', '--format', 'json'])).stdout) as {
    agent: { state: string };
    drops: Record<string, number>;
    refused: Record<string, number>;
  };
  assert.equal(report.agent.state, 'stopped');
  assert.deepEqual(report.drops, { denied: 2 }, 'the second run kept counting from the first');
  assert.deepEqual(report.refused, { size_out_of_range: 2 });
  assert.ok(path.isAbsolute(file));
});
