/**
 * A record the agent has read is in its spool before it reads anything else, so a kill -9 loses
 * nothing a probe handed over; the connection stays open until the record is synced, which is how
 * telem's own probes learn that their record is safe.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { decodeSegment } from '../../engine/spool/entry.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendAndClose, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

/** Payloads of the intact entries in the spool's segments right now. */
async function spooledPayloads(root: string): Promise<string[]> {
  const dir = path.join(root, 'var', 'spool', 'telemetry');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
  const payloads: string[] = [];
  for (const name of names) for (const { entry } of decodeSegment(await readFile(path.join(dir, name))).entries) payloads.push(entry.record.payload.toString());
  return payloads;
}

const payloadsOf = (bodies: Buffer[]) => bodies.map((body) => (JSON.parse(body.toString('utf8')) as { payload: string }).payload);

// A long group-commit window: records wait seconds for their sync, so the test can look in between.
const SLOW_SYNC = 'spool: { durability: batch, batch_window: 3s, retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }\n';

test('agent: records a probe wrote and closed are in the spool before their sync, and a kill -9 then loses none of them', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  let up = false;
  const sink = await startHttpSink(t, { respond: () => ({ status: up ? 201 : 503 }) });
  const policyFile = await writePolicy(root, oneRoutePolicy({ name: 'crash-window', destination: `{ type: http, url: "${sink.url()}", concurrency: 1 }`, extra: SLOW_SYNC }));
  const first = await startAgent(t, { root, policy: policyFile });
  const sent = Array.from({ length: 5 }, (_, index) => `handed-over ${index}`);
  for (const payload of sent) assert.equal(await sendAndClose(first.socketPath, testFrame({ payload })), 'written');
  // Well inside the 3 s window: nothing is synced yet, and everything is already in the segment.
  const inSpool = await (async () => {
    const started = Date.now();
    for (;;) {
      const payloads = await spooledPayloads(root);
      if (payloads.length === sent.length || Date.now() - started > 1500) return payloads;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  // Each record has its own connection, read as its bytes arrive: the spool's order need not be the sending order.
  assert.deepEqual([...inSpool].sort(), sent, 'every record read is written to the segment at once');
  await first.kill();
  up = true;
  const second = await startAgent(t, { root, policy: policyFile });
  await waitUntil(() => new Set(payloadsOf(sink.requests.map((request) => request.body))).size === sent.length, 10_000, 'every record after the restart');
  await second.stop();
  assert.deepEqual([...new Set(payloadsOf(sink.requests.map((request) => request.body)))].sort(), [...sent].sort());
});

test('agent: the probe connection closes only once the record is synced, and telem record waits for that close', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const policyFile = await writePolicy(root, oneRoutePolicy({ name: 'close-when-durable', destination: `{ type: http, url: "${sink.url()}" }`, extra: SLOW_SYNC }));
  const agent = await startAgent(t, { root, policy: policyFile });
  const socket = net.createConnection(agent.socketPath);
  let closedAt = 0;
  socket.on('close', () => (closedAt = Date.now()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => socket.end(testFrame({ payload: 'wait for me' }), () => resolve())));
  const started = Date.now();
  for (;;) {
    if ((await spooledPayloads(root)).includes('wait for me')) break;
    assert.ok(Date.now() - started < 1500, 'the record reached the segment');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(closedAt, 0, 'the connection is still open while the record waits for its sync');
  assert.equal(sink.requests.length, 0, 'no destination sees a record before it is synced');
  await waitUntil(() => closedAt > 0, 10_000, 'the close after the sync');
  await waitUntil(() => sink.requests.length === 1, 10_000, 'the delivery after the sync');

  // telem record returns only after that close: by then the record is in the segment.
  assert.equal((await runCli(['--root', root, 'opt-in'])).code, 0);
  const recorded = await runCli(['--root', root, 'record', '--socket', agent.socketPath, '-c', 'org.example/probe/test', '-p', 'recorded']);
  assert.equal(recorded.code, 0, recorded.stderr);
  assert.ok((await spooledPayloads(root)).includes('recorded'));
});
