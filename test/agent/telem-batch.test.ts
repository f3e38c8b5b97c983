/**
 * `protocol: telem` (issue 16 item 1): the agent sends records in NDJSON batches to
 * /telem/v1/records and journals each record by the collector's own receipt for it: stored and
 * duplicate are delivered, rejected is journaled with the collector's reason. A batch whose answer
 * was lost is sent again with the same record ids; an answer that does not account for every
 * record is not trusted; a 413 is sent again in halves; max_bytes and gzip shape the requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { RecordsPage } from '../../engine/collector/query/answers.js';
import { getJson, startTestCollector } from '../collector/collector-helpers.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { type SinkAnswer, type SinkRequest, startHttpSink } from '../helpers/http-sink.js';
import { sendRaw } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, journalEntries, labelledFrame } from '../reliability/agent-probe.js';

interface Line {
  readonly record_id: string;
  readonly payload: string;
  readonly event_id: string;
}

function linesOf(request: SinkRequest): Line[] {
  const body = /content-encoding: gzip/i.test(request.head) ? gunzipSync(request.body) : request.body;
  return body
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
}

/** What a telem collector answers: a receipt per line, in order. */
function receipts(lines: readonly Line[], statusOf: (line: Line) => { status: string; reason?: string }): SinkAnswer {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ results: lines.map((line) => ({ record_id: line.record_id, ...statusOf(line) })) }) };
}

function policy(url: string, batch: string, extra = ''): string {
  return oneRoutePolicy({
    name: 'telem-batch',
    destination: `{ type: http, protocol: telem, url: "${url}", concurrency: 1, timeout: 1s, batch: ${batch} }`,
    extra: `spool: { retry: { interval: 50ms, max_interval: 200ms, jitter: 0 } }\n${extra}`,
  });
}

async function sendLabelled(socketPath: string, labels: readonly string[], padding = 0): Promise<Map<string, string>> {
  const eventIds = new Map<string, string>();
  for (const label of labels) {
    const { frame, eventId } = labelledFrame(label, padding);
    assert.equal(await sendRaw(socketPath, [frame]), null, `${label} accepted`);
    eventIds.set(label, eventId);
  }
  return eventIds;
}

const labels = (count: number, prefix = 'r') => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

test('agent, protocol telem: records reach the real collector in batches, and every journal line matches a stored record', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const collector = await startTestCollector(t);
  const url = new URL('/telem/v1/records', collector.url).href;
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(url, '{ max_records: 10, linger: 300ms }')) });
  const eventIds = await sendLabelled(agent.socketPath, labels(25));

  const journal = await eventually(
    () => journalEntries(root),
    (entries) => entries.length === 25,
    { timeoutMs: 20_000, what: '25 journal lines' },
  );
  assert.ok(
    journal.every((entry) => entry.outcome === 'delivered' && entry.reason === null),
    JSON.stringify(journal.filter((entry) => entry.outcome !== 'delivered')),
  );
  const { body } = await getJson<RecordsPage>(collector, '/api/records?limit=100');
  assert.equal(body.records.length, 25);
  assert.ok(body.records.every((row) => row.protocol === 'telem'));
  assert.deepEqual(body.records.map((row) => row.event_id).sort(), [...eventIds.values()].sort(), 'the collector holds exactly the records sent');
  assert.deepEqual(journal.map((entry) => entry.eventId).sort(), [...eventIds.values()].sort(), 'the journal names exactly the records the collector holds');
  await agent.stop();
});

test(
  'agent, protocol telem: a batch is one request of NDJSON lines with record ids; a record the receipt rejects is journaled rejected with the reason and not sent again',
  { timeout: 60_000 },
  async (t) => {
    const root = await tempDir(t);
    const sink = await startHttpSink(t, {
      respond: (request) => receipts(linesOf(request), (line) => (line.payload === 'bad' ? { status: 'rejected', reason: 'severity value is out of range' } : { status: 'stored' })),
    });
    const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/telem/v1/records'), '{ max_records: 50, linger: 500ms }')) });
    await sendLabelled(agent.socketPath, ['a', 'b', 'bad', 'c', 'd']);

    const journal = await eventually(
      () => journalEntries(root),
      (entries) => entries.length === 5,
      { timeoutMs: 10_000, what: 'five journal lines' },
    );
    assert.equal(sink.requests.length, 1, 'five records lingered into one request');
    const [request] = sink.requests as [SinkRequest];
    assert.match(request.head, /^POST \/telem\/v1\/records HTTP\/1\.1\r\n/);
    assert.match(request.head, /\r\ncontent-type: application\/x-ndjson\r\n/i);
    const lines = linesOf(request);
    assert.deepEqual(
      lines.map((line) => line.payload),
      ['a', 'b', 'bad', 'c', 'd'],
    );
    assert.deepEqual(
      lines.map((line) => line.record_id),
      journal.map((entry) => entry.recordId),
      "each line's record_id is the record's id in the journal",
    );
    assert.deepEqual(
      journal.map((entry) => `${entry.outcome} ${entry.reason}`),
      ['delivered null', 'delivered null', 'rejected collector: severity value is out of range', 'delivered null', 'delivered null'],
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(sink.requests.length, 1, 'the rejected record is not sent again');
    await agent.stop();
  },
);

test(
  'agent, protocol telem: a batch whose answer was lost is sent again with the same record ids, and records answered duplicate are journaled once, as delivered',
  { timeout: 60_000 },
  async (t) => {
    const root = await tempDir(t);
    const kept = new Set<string>();
    const sink = await startHttpSink(t, {
      respond: (request, index) => {
        const lines = linesOf(request);
        const answer = receipts(lines, (line) => ({ status: kept.has(line.record_id) ? 'duplicate' : 'stored' }));
        for (const line of lines) kept.add(line.record_id);
        // The first batch is stored but its answer never arrives (the collector crashed after its commit).
        return index === 0 ? { status: 200, hang: true } : answer;
      },
    });
    const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/telem/v1/records'), '{ max_records: 50, linger: 300ms }')) });
    await sendLabelled(agent.socketPath, labels(4));

    const journal = await eventually(
      () => journalEntries(root),
      (entries) => entries.length === 4,
      { timeoutMs: 15_000, what: 'four journal lines' },
    );
    assert.ok(sink.requests.length >= 2);
    const [first, second] = sink.requests as [SinkRequest, SinkRequest];
    assert.deepEqual(
      linesOf(second).map((line) => line.record_id),
      linesOf(first).map((line) => line.record_id),
      'the same record ids',
    );
    assert.deepEqual(
      journal.map((entry) => `${entry.outcome} ${entry.reason}`),
      Array(4).fill('delivered duplicate'),
    );
    await agent.stop();
  },
);

test('agent, protocol telem: an answer that does not account for every record is not trusted: the batch is sent again and each record delivered once', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, {
    respond: (request, index) => {
      const lines = linesOf(request);
      // First answer: one result short. Second: a result for another record id.
      if (index === 0) return receipts(lines.slice(1), () => ({ status: 'stored' }));
      if (index === 1) return receipts([{ ...(lines[0] as Line), record_id: 'f'.repeat(32) }, ...lines.slice(1)], () => ({ status: 'stored' }));
      if (index === 2) return { status: 200, body: 'OK' };
      return receipts(lines, () => ({ status: 'stored' }));
    },
  });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/telem/v1/records'), '{ max_records: 50, linger: 300ms }')) });
  await sendLabelled(agent.socketPath, labels(3));
  const journal = await eventually(
    () => journalEntries(root),
    (entries) => entries.length === 3,
    { timeoutMs: 15_000, what: 'three journal lines' },
  );
  assert.equal(sink.requests.length, 4, 'three untrusted answers, then one that accounts for every record');
  assert.ok(journal.every((entry) => entry.outcome === 'delivered' && entry.reason === null));
  assert.ok(agent.logs.some((line) => line.msg === "cannot read the collector's receipts; the batch will be sent again" && line.problem === 'the answer has 2 results for 3 records'));
  await agent.stop();
});

test('agent, protocol telem: a batch refused as too large (413) is sent again in halves, and every record is delivered', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, {
    respond: (request) => {
      const lines = linesOf(request);
      return lines.length > 2 ? { status: 413, body: '{"message":"request body too large"}' } : receipts(lines, () => ({ status: 'stored' }));
    },
  });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url('/telem/v1/records'), '{ max_records: 50, linger: 300ms }')) });
  await sendLabelled(agent.socketPath, labels(7));
  const journal = await eventually(
    () => journalEntries(root),
    (entries) => entries.length === 7,
    { timeoutMs: 15_000, what: 'seven journal lines' },
  );
  assert.ok(journal.every((entry) => entry.outcome === 'delivered'));
  const storedPayloads = sink.requests.flatMap((request) => (linesOf(request).length <= 2 ? linesOf(request).map((line) => line.payload) : []));
  assert.deepEqual(storedPayloads.sort(), labels(7).sort(), 'each record in exactly one accepted request');
  await agent.stop();
});

test('agent, protocol telem: max_bytes bounds each request body, and compression: gzip sends Content-Encoding: gzip', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, { respond: (request) => receipts(linesOf(request), () => ({ status: 'stored' })) });
  const agent = await startAgent(t, {
    root,
    policy: await writePolicy(root, policy(sink.url('/telem/v1/records'), '{ max_records: 100, max_bytes: 4KiB, linger: 300ms, compression: gzip }')),
  });
  // Lines of about 1.3 KiB: three fit 4 KiB, so ten records take at least four requests.
  await sendLabelled(agent.socketPath, labels(10), 700);
  const journal = await eventually(
    () => journalEntries(root),
    (entries) => entries.length === 10,
    { timeoutMs: 15_000, what: 'ten journal lines' },
  );
  assert.ok(journal.every((entry) => entry.outcome === 'delivered'));
  assert.ok(sink.requests.length >= 4, `${sink.requests.length} requests`);
  for (const request of sink.requests) {
    assert.match(request.head, /\r\ncontent-encoding: gzip\r\n/i);
    assert.ok(gunzipSync(request.body).length <= 4096, 'each body within max_bytes before compression');
  }
  assert.equal(
    sink.requests.reduce((sum, request) => sum + linesOf(request).length, 0),
    10,
  );
  await agent.stop();
});
