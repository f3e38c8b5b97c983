/**
 * A spool that does not live in memory (issue 16 item 3): a large backlog costs the heap an index
 * entry per record, not the record; after a kill -9 recovery finds every record again and each is
 * delivered once; a frame that rotted on disk after recovery is dropped with a reason, not sent and
 * not a crash.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startRuntime } from '../../engine/agent/runtime.js';
import { silentLogger } from '../../engine/log/logger.js';
import { decodeSegment } from '../../engine/spool/entry.js';
import { closedPort } from '../helpers/closed-port.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { type SinkAnswer, type SinkRequest, startHttpSink } from '../helpers/http-sink.js';
import { sendRaw } from '../helpers/intake.js';
import { testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus, eventually, journalEntries, labelOf, labelledFrame, metric } from '../reliability/agent-probe.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap and off-heap (Buffer) bytes in use after a full collection. */
function retainedBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

test('agent: 50,000 spooled records, destination down, hold a small fraction of their payload bytes in memory', { timeout: 170_000 }, async (t) => {
  const root = await tempDir(t);
  const port = await closedPort();
  const policy = await writePolicy(
    root,
    oneRoutePolicy({
      name: 'backlog',
      destination: `{ type: http, url: "http://127.0.0.1:${port}/v3/collector" }`,
      extra: 'spool: { durability: none, max_size: unlimited, retry: { interval: 10s, max_interval: 10s } }\n',
    }),
  );
  const runtime = await startRuntime({ policy, root, logger: silentLogger });
  t.after(() => runtime.stop());
  const records = 50_000;
  const payload = Buffer.alloc(2048, 0x70);
  const before = retainedBytes();
  for (let sent = 0; sent < records; sent += 1000) {
    const results = await Promise.all(Array.from({ length: 1000 }, () => runtime.agent.accept(testRecord({ payload }))));
    assert.ok(results.every((result) => result.status === 'spooled'));
  }
  const grown = retainedBytes() - before;
  assert.equal(runtime.agent.status().spool.records, records);
  const payloadBytes = records * payload.length;
  // The index costs a few hundred bytes a record (and the just accepted ones keep theirs, within
  // 2 MiB): holding the payloads would be at least 100 MiB, this bound is a quarter of that.
  assert.ok(grown < payloadBytes / 4, `memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB for ${(payloadBytes / 2 ** 20).toFixed(1)} MiB of payloads`);
});

/** What a telem collector answers: a receipt per line, in order. */
function receipts(request: SinkRequest): SinkAnswer {
  const lines = request.body
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { record_id: string });
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ results: lines.map((line) => ({ record_id: line.record_id, status: 'stored' })) }) };
}

function payloadsOf(request: SinkRequest): string[] {
  return request.body
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { payload: string }).payload);
}

function telemPolicy(url: string, batch = '{ linger: 20ms }'): string {
  return oneRoutePolicy({
    name: 'backlog-restart',
    destination: `{ type: http, protocol: telem, url: "${url}", concurrency: 1, timeout: 2s, batch: ${batch} }`,
    extra: 'spool: { max_size: unlimited, retry: { interval: 50ms, max_interval: 200ms, jitter: 0 } }\n',
  });
}

test('agent: after a kill -9 with 10,000 records spooled, recovery finds every one and each is delivered exactly once', { timeout: 170_000 }, async (t) => {
  const root = await tempDir(t);
  let up = false;
  const stored: string[] = [];
  const sink = await startHttpSink(t, {
    respond: (request) => {
      if (!up) return { status: 503 };
      stored.push(...payloadsOf(request).map(labelOf));
      return receipts(request);
    },
  });
  const policy = await writePolicy(root, telemPolicy(sink.url('/telem/v1/records')));
  // Info, not debug: a debug line per record would make the logs the work.
  const options = { root, policy, args: ['--metrics', '127.0.0.1:0'], env: { TELEM_LOG_LEVEL: 'info' } };
  const first = await startAgent(t, options);
  const labels = Array.from({ length: 10_000 }, (_, index) => `backlog-${index}`);
  // Sixteen probes at a time, each waiting for its record to be durable (the connection's close).
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let index = next++; index < labels.length; index = next++) assert.equal(await sendRaw(first.socketPath, [labelledFrame(labels[index] as string).frame]), null);
    }),
  );
  await eventually(
    () => agentStatus(first),
    (status) => status.spool.records === labels.length,
    { timeoutMs: 30_000, what: 'every record spooled' },
  );
  await first.kill();
  up = true;
  const second = await startAgent(t, options);
  const recovered = await second.waitForLog((line) => line.msg === 'recovered records from the spool; delivering them now');
  assert.equal(recovered.records, labels.length);
  await eventually(
    async () => stored.length,
    (count) => count >= labels.length,
    { timeoutMs: 60_000, what: 'every record delivered' },
  );
  await eventually(
    () => agentStatus(second),
    (status) => status.spool.records === 0,
    { timeoutMs: 10_000, what: 'an empty spool' },
  );
  assert.equal(await metric(second, 'telem_records_settled_total{route="all",destination="central",outcome="delivered"}'), labels.length, 'each settled as delivered once');
  await second.stop();
  assert.equal(stored.length, labels.length, 'no record sent twice');
  assert.deepEqual([...new Set(stored)].sort(), [...labels].sort(), 'every record sent');
});

/** Flips a byte inside the payload of the frame holding `label`, in whichever segment has it (synchronously: the sink answers after it). */
function rotPayload(spoolDir: string, label: string): void {
  for (const name of fs.readdirSync(spoolDir).filter((file) => file.endsWith('.seg'))) {
    const file = path.join(spoolDir, name);
    const contents = fs.readFileSync(file);
    if (!decodeSegment(contents).entries.some(({ entry }) => entry.record.payload.toString() === label)) continue;
    const at = contents.lastIndexOf(Buffer.from(label)) + label.length - 1;
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, Buffer.from([(contents[at] as number) ^ 0x20]), 0, 1, at);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  throw new Error(`no segment holds ${label}`);
}

test('agent: a spooled record whose frame rots on disk after recovery is dropped as spool_corrupt (journaled, counted); the others are delivered', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const spoolDir = path.join(root, 'var/spool/telemetry');
  const delivered: string[] = [];
  let first: string[] | null = null;
  const sink = await startHttpSink(t, {
    respond: (request) => {
      if (first === null) {
        // All three are in this first request, read already: the damage is found when the retry reads them back.
        first = payloadsOf(request);
        rotPayload(spoolDir, 'rot-1');
        return { status: 503 };
      }
      delivered.push(...payloadsOf(request));
      return receipts(request);
    },
  });
  const agent = await startAgent(t, {
    root,
    policy: await writePolicy(root, telemPolicy(sink.url('/telem/v1/records'), '{ linger: 2s, max_records: 3 }')),
    args: ['--metrics', '127.0.0.1:0'],
  });
  const eventIds = new Map<string, string>();
  for (const label of ['rot-0', 'rot-1', 'rot-2']) {
    const { frame, eventId } = labelledFrame(label);
    assert.equal(await sendRaw(agent.socketPath, [frame]), null);
    eventIds.set(label, eventId);
  }
  const journal = await eventually(
    () => journalEntries(root),
    (entries) => entries.length === 3,
    { timeoutMs: 20_000, what: 'three journal lines' },
  );
  assert.deepEqual(first, ['rot-0', 'rot-1', 'rot-2']);
  assert.deepEqual(delivered, ['rot-0', 'rot-2']);
  assert.deepEqual(
    journal.map((entry) => [entry.eventId, entry.outcome, entry.reason]).sort(),
    [
      [eventIds.get('rot-0'), 'delivered', null],
      [eventIds.get('rot-1'), 'dropped', 'spool_corrupt'],
      [eventIds.get('rot-2'), 'delivered', null],
    ].sort(),
  );
  const status = await agentStatus(agent);
  assert.equal(status.drops.spool_corrupt, 1, 'counted');
  assert.equal(await metric(agent, 'telem_records_settled_total{route="all",destination="central",outcome="dropped"}'), 1);
  assert.ok(agent.logs.some((line) => line.msg === 'a spooled record cannot be read back intact; it is dropped' && line.reason === 'spool_corrupt'));
  assert.equal(status.spool.records, 0, 'the agent is still running and its spool is empty');
  assert.equal(await agent.stop(), 0);
});
