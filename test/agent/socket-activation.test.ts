import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { cliEntry } from '../helpers/paths.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

test('socket activation: with LISTEN_FDS the agent serves the inherited socket (fd 3) instead of creating its own', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const policy = await writePolicy(
    root,
    `apiVersion: telem/v1
kind: Policy
metadata: { name: activated }
consent: { require_opt_in: false }
intake: { socket: /run/not-used-when-activated }
destinations: { central: { type: http, url: "${sink.url('/v3/collector')}" } }
routes: [{ name: default, to: [central] }]
`,
  );
  // Play systemd: bind the socket, hand the listening descriptor to the agent as fd 3.
  const socketPath = path.join(root, 'activated.sock');
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  const child = spawn(process.execPath, [cliEntry, '--root', root, 'run', '--policy', policy], {
    env: { ...process.env, LISTEN_FDS: '1' },
    stdio: ['ignore', 'ignore', 'pipe', fd],
  });
  t.after(() => child.kill('SIGKILL'));
  let logs = '';
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  await waitUntil(() => logs.includes('agent ready'), 10_000, 'the agent to start');
  // The parent stops accepting so only the agent serves the socket. Node unlinks a unix socket's
  // path when closing it, so keep a second name for it first.
  const servedPath = path.join(root, 'served.sock');
  await link(socketPath, servedPath);
  await new Promise((resolve) => listener.close(resolve));
  assert.equal(await sendRaw(servedPath, [testFrame({ payload: 'activated' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'delivery of the record from the inherited socket');
  assert.equal((JSON.parse(sink.requests[0]?.body.toString() ?? '{}') as { payload: string }).payload, 'activated');
});

test('socket activation: with intake.recycle_after the agent exits cleanly after that long without records', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(
    root,
    `apiVersion: telem/v1
kind: Policy
metadata: { name: recycled }
consent: { require_opt_in: false }
intake: { recycle_after: 1s }
destinations: { local: { type: local } }
routes: [{ name: default, to: [local] }]
`,
  );
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(path.join(root, 'activated.sock'), resolve));
  t.after(() => listener.close());
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  const started = Date.now();
  const child = spawn(process.execPath, [cliEntry, '--root', root, 'run', '--policy', policy], {
    env: { ...process.env, LISTEN_FDS: '1' },
    stdio: ['ignore', 'ignore', 'pipe', fd],
  });
  t.after(() => child.kill('SIGKILL'));
  let logs = '';
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, logs);
  assert.match(logs, /idle under socket activation; stopping/);
  assert.ok(Date.now() - started >= 1000);
});
