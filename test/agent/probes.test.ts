/** Built-in probes in a real agent: the heartbeat probe's records reach an HTTP collector, and a reload that turns it off stops it. */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function heartbeatPolicy(url: string, options: { revision: number; heartbeat: string }): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: heartbeats, revision: ${options.revision} }
consent: { require_opt_in: false }
collection:
  probes:
    heartbeat: ${options.heartbeat}
destinations:
  central: { type: http, url: "${url}" }
routes:
  - { name: all, to: [central] }
`;
}

const ON = '{ enabled: true, every: 1s, random_delay: 0s, uptime: false }';

test('agent probes: heartbeat every 1s delivers org.clearlinux/heartbeat/ping records with the host headers to the collector, and counts them', { timeout: 30_000 }, async (t) => {
  const root = await captureLikeRoot(t);
  const sink = await startHttpSink(t);
  const policy = await writePolicy(root, heartbeatPolicy(sink.url('/v3/collector'), { revision: 1, heartbeat: ON }));
  const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'], env: { LC_ALL: 'C', LANG: '' } });
  await agent.waitForLog((line) => line.msg === 'probe heartbeat started');
  await waitUntil(() => sink.requests.length >= 2, 10_000, 'two heartbeats');
  const bodies = sink.requests.slice(0, 2).map((request) => JSON.parse(request.body.toString('utf8')) as Record<string, string>);
  for (const body of bodies) {
    assert.equal(body.classification, 'org.clearlinux/heartbeat/ping');
    assert.equal(body.severity, '1');
    assert.equal(body.payload, 'hello\nLC_ALL: C\n');
    assert.equal(body.system_name, 'debian');
    assert.equal(body.build, '"12"');
    assert.equal(body.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz');
    assert.match(body.machine_id ?? '', /^[0-9a-f]{32}$/, 'the intake gave it the machine id');
  }
  const [first, second] = bodies.map((body) => Number(body.creation_timestamp));
  assert.ok((second as number) - (first as number) >= 1, 'a second apart at least');
  const lastSent = JSON.parse(await readFile(path.join(root, 'var/lib/telem/probes/heartbeat/last-sent.json'), 'utf8')) as { last_sent_at: string };
  assert.match(lastSent.last_sent_at, /^\d{4}-\d\d-\d\dT/);

  const ready = await agent.waitForLog((line) => line.msg === 'agent ready');
  const metrics = await (await fetch(`${ready.metrics as string}/metrics`)).text();
  assert.match(metrics, /^telem_probe_records_total\{probe="heartbeat",outcome="spooled"\} [1-9]\d*$/m);
  const status = (await (await fetch(`${ready.metrics as string}/status`)).json()) as { probes: Record<string, { state: string }> };
  assert.equal(status.probes.heartbeat?.state, 'running');
  // telem status reads the status file the agent rewrites every second.
  let statusText = '';
  for (let attempt = 0; attempt < 20 && !/\nprobes: {5}heartbeat running, [1-9]\d* spooled, 0 refused(\n|$)/.test(statusText); attempt += 1) {
    statusText = (await runCli(['--root', root, 'status'])).stdout;
    await sleep(250);
  }
  assert.match(statusText, /\nprobes: {5}heartbeat running, [1-9]\d* spooled, 0 refused(\n|$)/);

  assert.equal(await agent.stop(), 0);
  const stopped = agent.logs.findIndex((line) => line.msg === 'probe heartbeat stopped');
  assert.ok(stopped !== -1 && stopped < agent.logs.findIndex((line) => line.msg === 'agent stopped'), 'the probe stops before the agent');
});

test('agent probes: a reload that turns the heartbeat off stops it, and one that changes its settings restarts it with them', { timeout: 30_000 }, async (t) => {
  const root = await captureLikeRoot(t);
  const sink = await startHttpSink(t);
  const url = sink.url('/v3/collector');
  const policy = await writePolicy(root, heartbeatPolicy(url, { revision: 1, heartbeat: ON }));
  const agent = await startAgent(t, { root, policy, env: { LC_ALL: 'C', LANG: '' } });
  await waitUntil(() => sink.requests.length >= 1, 10_000, 'a heartbeat');

  await writeFile(policy, heartbeatPolicy(url, { revision: 2, heartbeat: '{ enabled: true, every: 1s, random_delay: 0s, uptime: false, locale: false }' }));
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 2);
  await agent.waitForLog((line) => line.msg === 'probe heartbeat stopped');
  const restarted = agent.logs.filter((line) => line.msg === 'probe heartbeat started').length;
  assert.equal(restarted, 2, 'started again with the new settings');
  await waitUntil(() => sink.requests.some((request) => (JSON.parse(request.body.toString('utf8')) as { payload: string }).payload === 'hello\n'), 10_000, 'a heartbeat without the locale');

  await writeFile(policy, heartbeatPolicy(url, { revision: 3, heartbeat: '{ enabled: false }' }));
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 3);
  await waitUntil(() => agent.logs.filter((line) => line.msg === 'probe heartbeat stopped').length === 2, 5000, 'the probe stopped');
  // A heartbeat handed in just before the stop may still be on its way.
  await sleep(500);
  const delivered = sink.requests.length;
  await sleep(2500);
  assert.equal(sink.requests.length, delivered, 'no heartbeat after it was turned off');
  const reloadLine = agent.logs.find((line) => typeof line.msg === 'string' && line.msg.startsWith('reload: - probe heartbeat'));
  assert.equal(reloadLine?.msg, 'reload: - probe heartbeat: turned off: records of "org.clearlinux/heartbeat/ping" are no longer made');
});

test('agent probes: a probe that cannot start is logged with its name, and the agent runs on and delivers records', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  // A file where the probes' state directories go: the heartbeat cannot have one.
  await mkdir(path.join(root, 'var/lib/telem'), { recursive: true });
  await writeFile(path.join(root, 'var/lib/telem/probes'), 'not a directory');
  const policy = await writePolicy(root, heartbeatPolicy(sink.url('/v3/collector'), { revision: 1, heartbeat: ON }));
  const agent = await startAgent(t, { root, policy });
  const failed = await agent.waitForLog((line) => line.msg === 'probe heartbeat cannot start; the agent goes on without it');
  assert.equal(failed.probe, 'heartbeat');
  assert.match(JSON.stringify(failed.err), /EEXIST|ENOTDIR/);
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'still taken' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'the record delivered');
  assert.equal(JSON.parse(sink.requests[0]?.body.toString('utf8') ?? '{}').payload, 'still taken');
});
