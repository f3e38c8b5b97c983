/**
 * Starting the agent where it cannot run: a second agent on the same socket, a metrics address in
 * use. It exits at once with a plain message and status 2, leaves the first agent's socket alone,
 * and does not hang on what it had already started.
 */
import assert from 'node:assert/strict';
import { lstat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function policy(url: string, spoolDir = '/var/spool/telemetry'): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: startup }
consent: { require_opt_in: false }
spool: { dir: ${spoolDir} }
destinations: { central: { type: http, url: "${url}" } }
routes: [{ name: all, to: [central] }]
`;
}

test('startup: a second agent on the same socket exits 2 with a plain message and leaves the first one serving', { timeout: 20_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const file = await writePolicy(root, policy(sink.url()));
  const first = await startAgent(t, { root, policy: file });
  // Its own spool, the same socket (the same spool is refused even earlier: test/agent/second-agent.test.ts).
  const other = await writePolicy(root, policy(sink.url(), '/var/spool/telemetry-second'), 'second.policy.yaml');
  const second = await runCli(['--root', root, 'run', '--policy', other]);
  assert.equal(second.code, 2);
  assert.ok(second.stderr.includes(`telem run: cannot start: another process is already listening on ${first.socketPath}`), second.stderr);
  assert.doesNotMatch(second.stderr, /\n\s+at /);
  assert.equal(await sendRaw(first.socketPath, [testFrame({ payload: 'still served' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'the first agent delivering');
  assert.equal(await first.stop(), 0);
});

test('startup: a metrics address in use ends the start with status 2, and what had started is stopped', { timeout: 20_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as net.AddressInfo).port;
  const result = await runCli(['--root', root, 'run', '--policy', await writePolicy(root, policy(sink.url())), '--metrics', `127.0.0.1:${port}`]);
  assert.equal(result.code, 2);
  assert.ok(result.stderr.includes(`telem run: cannot start: listen EADDRINUSE: address already in use 127.0.0.1:${port}`), result.stderr);
  // The socket it had opened is closed and removed again.
  await assert.rejects(lstat(path.join(root, 'run/telem-0')), { code: 'ENOENT' });
  const again = await startAgent(t, { root, policy: `${root}/policy.yaml` });
  assert.equal(await again.stop(), 0);
});
