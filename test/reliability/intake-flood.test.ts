/**
 * One local user must not be able to stop everybody's telemetry. The socket is 0666 so that any
 * probe can write; an unprivileged user (uid 65534) opening 1,300 connections that trickle one
 * byte every 4 s used to keep all 256 slots and the 1,024-place wait queue busy, so good probes
 * got 0 of 300 through while each refusal wrote a warning (55 MB of log in 40 s). Now that user
 * holds at most its share of the slots, trickling connections are cut, refusals are counted, and
 * the log stays small.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus, eventually, metric } from './agent-probe.js';
import { skipUnlessRequired } from '../helpers/skip.js';

const NOBODY = 65534;
const ATTACK_CONNECTIONS = 1300;
const GOOD_RECORDS = 300;

/** A child process running as nobody that keeps `count` connections open, each sending one byte every 4 s (and reconnecting when cut). */
function startTrickler(socketPath: string, count: number) {
  const script = `
    const net = require('node:net');
    let open = 0;
    const connect = () => {
      const socket = net.createConnection(${JSON.stringify(socketPath)});
      let timer;
      socket.on('connect', () => { open++; timer = setInterval(() => socket.write(Buffer.from([1])), 4000); socket.write(Buffer.from([1])); });
      socket.on('error', () => {});
      socket.on('close', (hadError) => { clearInterval(timer); open = Math.max(0, open - 1); setTimeout(connect, 50); });
    };
    for (let i = 0; i < ${count}; i++) connect();
    setInterval(() => process.stdout.write(open + '\\n'), 200);
  `;
  const child = spawn(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
  let open = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    const last = chunk.toString().trim().split('\n').at(-1);
    if (last) open = Number(last);
  });
  return { child, open: () => open };
}

test(
  'intake under a trickle flood from one unprivileged user: every good probe gets through, refusals are counted, the log stays small',
  { skip: skipUnlessRequired(process.getuid?.() === 0 ? false : 'needs root to run the flood as another user'), timeout: 120_000 },
  async (t) => {
    const root = await tempDir(t);
    // The unprivileged user must be able to reach the 0666 socket, as on a real machine.
    await chmod(root, 0o755);
    const policy = await writePolicy(root, oneRoutePolicy({ name: 'flood', destination: '{ type: local }' }));
    const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'], env: { TELEM_LOG_LEVEL: 'info' } });
    await chmod(path.dirname(agent.socketPath), 0o755);
    const flood = startTrickler(agent.socketPath, ATTACK_CONNECTIONS);
    t.after(() => flood.child.kill('SIGKILL'));
    // Cut tricklers reconnect, so how many are open at once varies (less on a busy machine); half is a flood.
    await waitUntil(() => flood.open() >= ATTACK_CONNECTIONS / 2, 60_000, 'the flood connections open');
    await eventually(
      () => agentStatus(agent),
      (status) => (status as unknown as { intake: { waiting: number } }).intake.waiting > 500,
      { timeoutMs: 20_000, what: 'the flood waiting for slots' },
    );

    const results: (string | null)[] = [];
    for (let batch = 0; batch < GOOD_RECORDS / 10; batch += 1) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, (_, index) => sendRaw(agent.socketPath, [testFrame({ payload: `good ${batch * 10 + index}` })])))));
    }
    assert.deepEqual(
      results.filter((result) => result !== null),
      [],
      'no good probe saw an error',
    );
    await eventually(
      () => metric(agent, 'telem_records_accepted_total'),
      (accepted) => accepted === GOOD_RECORDS,
      { timeoutMs: 10_000, what: `all ${GOOD_RECORDS} good records accepted` },
    );
    // Which rule cuts a trickler depends on how long it waited for a slot: bytes it sent meanwhile
    // are already there (a record_size of 0x01010101 is out of range); a fresh one is slow to start.
    const cut = async () => {
      let total = 0;
      for (const reason of ['slow_start', 'timeout', 'size_out_of_range']) total += await metric(agent, `telem_intake_refused_total{reason="${reason}"}`);
      return total;
    };
    // A trickler is cut once it holds a slot for first_byte_timeout; slots go round the waiting users.
    await eventually(cut, (total) => total > 0, { timeoutMs: 30_000, what: 'trickling connections cut and counted' });
    flood.child.kill('SIGKILL');
    assert.equal(await agent.stop(), 0);
    const refusalLines = agent.logs.filter((line) => line.msg === 'record rejected' || line.msg === 'refused connections (rate-limited log)');
    assert.ok(refusalLines.length < 50, `${refusalLines.length} log lines about refusals`);
  },
);
