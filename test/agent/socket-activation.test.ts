import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { link, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { oneRoutePolicy, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { cliEntry } from '../helpers/paths.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

/** Plays systemd: binds the socket and hands the listening descriptor to `telem run` as fd 3 with LISTEN_FDS=1. */
async function startActivated(t: TestContext, options: { root: string; policy: string }): Promise<{ child: ChildProcess; listener: net.Server; socketPath: string; logs: () => string }> {
  const socketPath = path.join(options.root, 'activated.sock');
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
  t.after(() => listener.close());
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  const child = spawn(process.execPath, [cliEntry, '--root', options.root, 'run', '--policy', options.policy], {
    env: { ...process.env, LISTEN_FDS: '1' },
    stdio: ['ignore', 'ignore', 'pipe', fd],
  });
  t.after(() => child.kill('SIGKILL'));
  let logs = '';
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  return { child, listener, socketPath, logs: () => logs };
}

test('socket activation: with LISTEN_FDS the agent serves the inherited socket (fd 3) instead of creating its own', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const policy = await writePolicy(
    root,
    oneRoutePolicy({ name: 'activated', destination: `{ type: http, url: "${sink.url('/v3/collector')}" }`, extra: 'intake: { socket: /run/not-used-when-activated }\n' }),
  );
  const activated = await startActivated(t, { root, policy });
  await waitUntil(() => activated.logs().includes('agent ready'), 10_000, 'the agent to start');
  // The parent stops accepting so only the agent serves the socket. Node unlinks a unix socket's
  // path when closing it, so keep a second name for it first.
  const servedPath = path.join(root, 'served.sock');
  await link(activated.socketPath, servedPath);
  await new Promise((resolve) => activated.listener.close(resolve));
  assert.equal(await sendRaw(servedPath, [testFrame({ payload: 'activated' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'delivery of the record from the inherited socket');
  assert.equal((JSON.parse(sink.requests[0]?.body.toString() ?? '{}') as { payload: string }).payload, 'activated');
});

test('socket activation: with intake.recycle_after the agent exits cleanly after that long without records', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, oneRoutePolicy({ name: 'recycled', destination: '{ type: local }', extra: 'intake: { recycle_after: 1s }\n' }));
  const started = Date.now();
  const activated = await startActivated(t, { root, policy });
  const code = await new Promise<number | null>((resolve) => activated.child.once('exit', resolve));
  assert.equal(code, 0, activated.logs());
  assert.match(activated.logs(), /idle under socket activation; stopping/);
  assert.ok(Date.now() - started >= 1000);
});

test('socket activation: while a built-in probe runs the agent does not recycle (nothing would start it again for the probe); turned off, it recycles', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(
    root,
    oneRoutePolicy({
      name: 'heartbeats',
      destination: '{ type: local }',
      extra: 'intake: { recycle_after: 1s }\ncollection: { probes: { heartbeat: { enabled: true, every: 1h } } }\n',
    }),
  );
  const activated = await startActivated(t, { root, policy });
  await waitUntil(() => activated.logs().includes('probe heartbeat started'), 10_000, 'the heartbeat to start');
  // Three idle checks (every second) pass without a record.
  await waitUntil(() => activated.logs().includes('it stays up under socket activation'), 5000, 'the idle check to see the probe');
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(activated.child.exitCode, null, activated.logs());
  assert.doesNotMatch(activated.logs(), /idle under socket activation/);
  // Without the probe the agent is idle again, and recycles.
  await writeFile(policy, (await readFile(policy, 'utf8')).replace('enabled: true', 'enabled: false'));
  const code = await new Promise<number | null>((resolve) => activated.child.once('exit', resolve));
  assert.equal(code, 0, activated.logs());
  assert.match(activated.logs(), /probe heartbeat stopped[\s\S]*idle under socket activation; stopping/);
});
