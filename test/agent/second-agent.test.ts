/**
 * A second `telem run` on the same root (started by mistake next to a running agent, a systemd
 * unit or `npm start`) must refuse before it touches anything: it used to recover the running
 * agent's spool, deliver its records itself and delete its live segment, so records the running
 * agent accepted afterwards went into an unlinked file and were lost at its next restart.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const payloadsOf = (bodies: Buffer[]) => bodies.map((body) => (JSON.parse(body.toString('utf8')) as { payload: string }).payload);

async function segments(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).filter((entry) => /\.(seg|ack)$/.test(entry)).sort()) files[name] = (await readFile(path.join(dir, name))).toString('base64');
  return files;
}

test('telem run: a second agent on the same root exits 2 naming the running one, and leaves its spool alone: nothing is lost across a kill -9', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const spoolDir = path.join(root, 'var', 'spool', 'telemetry');
  let up = false;
  const sink = await startHttpSink(t, { respond: () => ({ status: up ? 201 : 503 }) });
  const policyFile = await writePolicy(
    root,
    oneRoutePolicy({ name: 'first', destination: `{ type: http, url: "${sink.url()}", concurrency: 1 }`, extra: 'spool: { retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }\n' }),
  );
  const first = await startAgent(t, { root, policy: policyFile });
  for (let index = 0; index < 5; index += 1) assert.equal(await sendRaw(first.socketPath, [testFrame({ payload: `before ${index}` })]), null);
  const spooled = await segments(spoolDir);

  const second = await runCli(['--root', root, 'run', '--policy', policyFile], { env: { TELEM_LOG_LEVEL: 'info' } });
  assert.equal(second.code, 2, second.stderr);
  assert.equal(second.stderr.trim().split('\n').at(-1), `telem run: cannot start: the spool ${spoolDir} is in use by another telem process (held by pid ${first.child.pid})`);
  assert.deepEqual(await segments(spoolDir), spooled, "the running agent's segments are untouched");

  // The running agent keeps spooling into its segment; a crash and restart still finds everything.
  for (let index = 0; index < 5; index += 1) assert.equal(await sendRaw(first.socketPath, [testFrame({ payload: `after ${index}` })]), null);
  await first.kill();
  up = true;
  const restarted = await startAgent(t, { root, policy: policyFile });
  const expected = [...Array.from({ length: 5 }, (_, index) => `before ${index}`), ...Array.from({ length: 5 }, (_, index) => `after ${index}`)];
  await waitUntil(() => expected.every((payload) => payloadsOf(sink.requests.map((request) => request.body)).includes(payload)), 15_000, 'every record after the restart');
  assert.equal(await restarted.stop(), 0);
});

test('telem run: once the first agent is gone (even by kill -9) the next one starts on the same spool', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const policyFile = await writePolicy(root, oneRoutePolicy({ name: 'takeover', destination: '{ type: local }' }));
  const first = await startAgent(t, { root, policy: policyFile });
  await first.kill();
  const next = await startAgent(t, { root, policy: policyFile });
  assert.equal(await next.stop(), 0);
});
