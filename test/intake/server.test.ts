import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { IntakeServer } from '../../engine/intake/server.js';
import { intakeOptionsFromPolicy } from '../../engine/intake/from-policy.js';
import { totalRejected } from '../../engine/intake/stats.js';
import { ConsentGate, optIn } from '../../engine/consent/opt-in.js';
import { writeFrame } from '../../engine/probe/send.js';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { capturedConnections } from '../helpers/conformance.js';
import { capturingLogger, CollectingSink, sendRaw, startIntake, TEST_MACHINE_ID, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const capture = capturedConnections()[0]!;

function policy(sections: Record<string, unknown> = {}): ResolvedPolicy {
  const result = validatePolicyValue({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'test' }, ...sections });
  assert.ok(result.policy, JSON.stringify(result.diagnostics));
  return result.policy;
}

function expectCaptureRecord(sink: CollectingSink): void {
  assert.equal(sink.records.length, 1);
  const [accepted] = sink.records;
  assert.deepEqual(
    RECORD_HEADERS.map((name) => `${name}: ${accepted!.record.headers[name]}`),
    capture.headerLines.map((line) => (line.startsWith('machine_id:') ? `machine_id: ${TEST_MACHINE_ID}` : line)),
  );
  assert.equal(accepted!.record.payload.toString(), 'hello');
  assert.equal(accepted!.configPath, null);
}

test('intake: capture #1 sent in one write is accepted with its 15 headers, payload and our machine id', async (t) => {
  const { server, sink, socketPath } = await startIntake(t);
  await sendRaw(socketPath, [capture.bytes]);
  await waitUntil(() => server.stats().accepted === 1);
  expectCaptureRecord(sink);
});

test('intake: capture #1 split into 1-byte writes with pauses is reassembled and accepted', async (t) => {
  const { server, sink, socketPath } = await startIntake(t);
  const bytes = [...capture.bytes].map((byte) => Buffer.from([byte]));
  await sendRaw(socketPath, bytes, { pauseMs: 1 });
  await waitUntil(() => server.stats().accepted === 1);
  expectCaptureRecord(sink);
});

test('intake: 1,000 concurrent connections each sending one record are all accepted', async (t) => {
  const { server, sink, socketPath } = await startIntake(t);
  await Promise.all(Array.from({ length: 1000 }, (_, index) => writeFrame(socketPath, testFrame({ payload: `record ${index}` }))));
  await waitUntil(() => server.stats().accepted === 1000, 10_000, '1000 accepted records');
  assert.equal(totalRejected(server.stats()), 0);
  assert.equal(new Set(sink.records.map((accepted) => accepted.record.payload.toString())).size, 1000);
});

test('intake: a flood of 1,000 garbage, stalled and oversized connections is rejected and counted; a good record still gets in', async (t) => {
  // The clients share this process's event loop: a generous timeout keeps a busy loop from looking like a stall.
  const { server, sink, socketPath } = await startIntake(t, { readTimeoutMs: 1000 });
  const oversized = Buffer.alloc(8);
  oversized.writeUInt32LE(0xffffffff, 0);
  const garbageHeaders = Buffer.alloc(120, 'x');
  garbageHeaders.writeUInt32LE(120, 0);
  garbageHeaders.writeUInt32LE(100, 4);
  const flood = Array.from({ length: 1000 }, (_, index) => {
    switch (index % 4) {
      case 0:
        return sendRaw(socketPath, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
      case 1:
        return sendRaw(socketPath, [garbageHeaders]);
      case 2:
        // Stalls: two bytes of a size field, then silence until the server gives up.
        return sendRaw(socketPath, [Buffer.from([0x10, 0x00])], { keepOpenMs: 5000 });
      default:
        return sendRaw(socketPath, [oversized]);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const good = writeFrame(socketPath, testFrame({ payload: 'during the flood' }));
  await Promise.all([good, ...flood]);
  await waitUntil(() => server.stats().accepted + totalRejected(server.stats()) === 1001, 10_000, 'every connection counted');
  const { rejected, accepted } = server.stats();
  assert.equal(accepted, 1);
  assert.equal(sink.records[0]?.record.payload.toString(), 'during the flood');
  assert.deepEqual(
    { size_out_of_range: rejected.size_out_of_range, bad_headers: rejected.bad_headers, timeout: rejected.timeout },
    { size_out_of_range: 500, bad_headers: 250, timeout: 250 },
  );
});

test("intake: the socket gets the policy's mode (default 0666, as upstream)", async (t) => {
  const root = await tempDir(t);
  for (const [mode, expected] of [
    [undefined, 0o666],
    ['0660', 0o660],
  ] as const) {
    const options = intakeOptionsFromPolicy(policy(mode ? { intake: { mode } } : {}), { root, sink: new CollectingSink() });
    const server = new IntakeServer(options);
    await server.listen();
    assert.equal((await stat(options.socketPath)).mode & 0o777, expected);
    assert.equal(options.socketPath, `${root}/run/telem-0`);
    await server.close();
  }
});

test('intake: intake.max_payload from the policy is the limit; a larger payload is rejected and logged with its reason', async (t) => {
  const root = await tempDir(t);
  const { logger, lines } = capturingLogger();
  const sink = new CollectingSink();
  const options = intakeOptionsFromPolicy(policy({ consent: { require_opt_in: false }, intake: { max_payload: '1KiB' } }), { root, sink, logger });
  const server = new IntakeServer(options);
  await server.listen();
  t.after(() => server.close({ drain: false }));
  await writeFrame(options.socketPath, testFrame({ payload: 'a'.repeat(1024) }));
  await writeFrame(options.socketPath, testFrame({ payload: 'a'.repeat(1025) }));
  await waitUntil(() => server.stats().accepted + totalRejected(server.stats()) === 2);
  assert.equal(server.stats().rejected.payload_too_large, 1);
  assert.deepEqual(
    sink.records.map((accepted) => accepted.record.payload.length),
    [1024],
  );
  const logged = lines().find((line) => line.reason === 'payload_too_large');
  assert.equal(logged?.msg, 'record rejected');
  assert.equal(logged?.detail, 'payload is 1025 bytes; the limit is 1024 bytes');
});

test('intake: with require_opt_in and no opt-in marker, records are refused as not_opted_in and never handed on', async (t) => {
  const root = await tempDir(t);
  const sink = new CollectingSink();
  const options = intakeOptionsFromPolicy(policy(), { root, sink });
  assert.ok(options.consent, 'the default policy requires opt-in');
  // The same gate without its one-second cache, so the opt-in below is seen at once.
  const server = new IntakeServer({ ...options, consent: new ConsentGate({ root, maxAgeMs: 0 }) });
  await server.listen();
  t.after(() => server.close({ drain: false }));
  await writeFrame(options.socketPath, testFrame());
  await waitUntil(() => server.stats().rejected.not_opted_in === 1);
  assert.equal(sink.records.length, 0);
  await optIn({ root });
  await writeFrame(options.socketPath, testFrame());
  await waitUntil(() => server.stats().accepted === 1);
});

test("intake: accepted records carry the machine id kept under the root, not the probe's placeholder", async (t) => {
  const root = await tempDir(t);
  await optIn({ root });
  const sink = new CollectingSink();
  const options = intakeOptionsFromPolicy(policy(), { root, sink });
  const server = new IntakeServer(options);
  await server.listen();
  t.after(() => server.close({ drain: false }));
  await writeFrame(options.socketPath, testFrame());
  await waitUntil(() => server.stats().accepted === 1);
  const machineId = await readFile(`${root}/var/lib/telemetry/machine_id`, 'utf8');
  assert.match(machineId, /^[0-9a-f]{32}$/);
  assert.equal(sink.records[0]?.record.headers.machine_id, machineId);
});

test('intake: when the next stage fails, the record is counted as sink_failed and the server keeps serving', async (t) => {
  let fail = true;
  const kept: string[] = [];
  const { server, socketPath } = await startIntake(t, {
    sink: {
      accept: async (accepted) => {
        if (fail) throw new Error('disk full');
        kept.push(accepted.record.payload.toString());
      },
    },
  });
  await writeFrame(socketPath, testFrame({ payload: 'first' }));
  await waitUntil(() => server.stats().rejected.sink_failed === 1);
  fail = false;
  await writeFrame(socketPath, testFrame({ payload: 'second' }));
  await waitUntil(() => server.stats().accepted === 1);
  assert.deepEqual(kept, ['second']);
});

test('intake: a stale socket file from a crash is replaced; a socket somebody listens on is not', async (t) => {
  const { socketPath } = await startIntake(t);
  const second = new IntakeServer({ socketPath, sink: new CollectingSink(), machineId: { current: () => TEST_MACHINE_ID } });
  await assert.rejects(second.listen(), /another process is already listening on/);

  const root = await tempDir(t);
  const stalePath = `${root}/stale.sock`;
  // A real crash: a process listening on the path is killed with SIGKILL and leaves the file behind.
  spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await stat(stalePath);
  const replacement = new IntakeServer({ socketPath: stalePath, sink: new CollectingSink(), machineId: { current: () => TEST_MACHINE_ID } });
  await replacement.listen();
  await writeFrame(stalePath, testFrame());
  await waitUntil(() => replacement.stats().accepted === 1);
  await replacement.close();
});

test('intake: more clients than max_connections wait their turn instead of being dropped', async (t) => {
  const { server, socketPath } = await startIntake(t, { maxConnections: 2, readTimeoutMs: 300 });
  // Two silent clients hold both slots until the read timeout.
  const stalls = [0, 1].map(() => sendRaw(socketPath, [Buffer.from([1])], { keepOpenMs: 1000 }));
  await waitUntil(() => server.stats().active === 2);
  // The agent closes the connection once the record is kept, so the write finishes only after its turn came.
  const sent = writeFrame(socketPath, testFrame());
  await waitUntil(() => server.stats().waiting === 1);
  await sent;
  assert.equal(server.stats().accepted, 1);
  await Promise.all(stalls);
  assert.equal(server.stats().rejected.timeout, 2);
});

test('intake: close() drains connections already accepted and removes the socket file', async (t) => {
  const { server, sink, socketPath } = await startIntake(t);
  await writeFrame(socketPath, testFrame({ payload: 'last' }));
  await server.close();
  assert.deepEqual(
    sink.records.map((accepted) => accepted.record.payload.toString()),
    ['last'],
  );
  await assert.rejects(stat(socketPath), { code: 'ENOENT' });
});

test('intake: a frame stays unread in the kernel until the next stage has it, so a probe waiting for the close sees a reset when it was not kept', async (t) => {
  let keep = false;
  const { server, socketPath } = await startIntake(t, {
    sink: {
      // Synchronous like the agent's spool write: when it throws, nothing was kept.
      accept: (accepted) => {
        if (!keep) throw new Error('the spool cannot take it');
        return Promise.resolve(void accepted);
      },
    },
  });
  assert.equal(await sendRaw(socketPath, [testFrame({ payload: 'not kept' })]), 'ECONNRESET');
  assert.equal(server.stats().rejected.sink_failed, 1);
  keep = true;
  assert.equal(await sendRaw(socketPath, [testFrame({ payload: 'kept' })]), null, 'a kept record ends in a clean close');
  assert.equal(server.stats().accepted, 1);
});
