/**
 * telem simulate counts what the real agent does: the same 500 records, sent to `telem run` in
 * bursts timed to their creation timestamps, and replayed by `telem simulate`, end in the same
 * outcomes per route and destination as the agent's journal says (a rate-limited drop route, a
 * rate-limited spool route whose records wait, and records no route takes).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { buildRecord } from '../../engine/record/build.js';
import type { TelemetryRecord } from '../../engine/record/fields.js';
import { encodeFrame } from '../../engine/record/frame.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { CAPTURE_HOST } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const POLICY = `apiVersion: telem/v1
kind: Policy
metadata: { name: agreement, revision: 4 }
consent: { require_opt_in: false }
collection: { deny: ["org.test/secret/*"] }
spool: { retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }
retention: { journal_entries: 5000 }
destinations: { central: { type: local }, archive: { type: local } }
routes:
  - { name: drops, match: { classification: "org.test/drop/*" }, to: [central, archive], rate_limit: { records: 40/4s, when_exceeded: drop } }
  - { name: waits, match: { classification: "org.test/wait/*" }, to: [central], rate_limit: { records: 30/4s, when_exceeded: spool } }
  - { name: crashes, match: { classification: "org.test/crash/*" }, to: [archive] }
`;

const BURSTS = 4;
const PER_BURST = { drop: 60, wait: 50, crash: 10, secret: 2, other: 3 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(kind: string, index: number, second: number): TelemetryRecord {
  return buildRecord({
    classification: `org.test/${kind}/x`,
    severity: 2,
    payloadVersion: 1,
    host: CAPTURE_HOST,
    payload: Buffer.from(`${kind} ${index}`),
    createdAt: new Date(second * 1000),
  });
}

function exportLine(record: TelemetryRecord): string {
  return JSON.stringify({
    ...record.headers,
    severity: Number(record.headers.severity),
    creation_timestamp: Number(record.headers.creation_timestamp),
    payload: record.payload.toString('utf8'),
  });
}

type Counts = Record<string, number>;

test("telem simulate: the counts per route, destination and outcome are the journal's for the same 500 records sent to a real agent", { timeout: 240_000 }, async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, POLICY);
  const agent = await startAgent(t, { root, policy });
  const sent: TelemetryRecord[] = [];
  for (let burst = 0; burst < BURSTS; burst += 1) {
    // A burst carries the second it starts in, and takes less than the 4 s window, so the agent (which
    // counts in real milliseconds) and the simulation (in creation seconds) see the same records in each
    // window; the next burst starts once the last one's window is over for both.
    const started = Date.now();
    const second = Math.floor(started / 1000);
    const records = Object.entries(PER_BURST).flatMap(([kind, count]) => Array.from({ length: count }, (_, index) => record(kind, burst * 1000 + index, second)));
    for (const item of records) assert.equal(await sendRaw(agent.socketPath, [encodeFrame(item, { configPath: null })]), null);
    const took = Date.now() - started;
    assert.ok(took < 3000, `a burst took ${took} ms, too long for a 4 s window: the machine is too slow for this test to say anything`);
    sent.push(...records);
    if (burst < BURSTS - 1) await sleep(4200);
  }
  assert.equal(sent.length, 500);

  // Every record settled at every destination: 2 per drop record, 1 per other routed or refused one.
  const expectedLines = BURSTS * (PER_BURST.drop * 2 + PER_BURST.wait + PER_BURST.crash + PER_BURST.secret + PER_BURST.other);
  const journal = async () =>
    JSON.parse((await runCli(['--root', root, 'journal', '--policy', policy, '--format', 'json'])).stdout) as {
      entries: { outcome: string; reason: string | null; route: string | null; destination: string | null }[];
    };
  let entries: Awaited<ReturnType<typeof journal>>['entries'] = [];
  await waitUntil(() => entries.length >= expectedLines, 60_000, 'every record settled').catch(() => undefined);
  for (let attempt = 0; attempt < 120 && entries.length < expectedLines; attempt += 1) {
    entries = (await journal()).entries;
    if (entries.length < expectedLines) await sleep(500);
  }
  assert.equal(entries.length, expectedLines);

  const journaled: Counts = {};
  for (const entry of entries) {
    const key = entry.destination === null ? `unrouted ${entry.reason}` : `${entry.route} ${entry.destination} ${entry.outcome}${entry.reason ? `:${entry.reason}` : ''}`;
    journaled[key] = (journaled[key] ?? 0) + 1;
  }

  const file = path.join(root, 'sent.ndjson');
  await writeFile(file, `${sent.map(exportLine).join('\n')}\n`);
  const result = await runCli(['simulate', policy, '--records', file, '--format', 'json']);
  assert.equal(result.code, 0, result.stderr);
  const simulated = JSON.parse(result.stdout) as {
    records: number;
    results: { route: string; destination: string; delivered: number; deferred: number; expired: number; dropped: Counts }[];
    unrouted: Counts;
  };
  assert.equal(simulated.records, 500);
  const counted: Counts = {};
  const add = (key: string, count: number) => {
    if (count > 0) counted[key] = (counted[key] ?? 0) + count;
  };
  for (const row of simulated.results) {
    add(`${row.route} ${row.destination} delivered`, row.delivered);
    add(`${row.route} ${row.destination} expired:expired`, row.expired);
    for (const [reason, count] of Object.entries(row.dropped)) add(`${row.route} ${row.destination} dropped:${reason}`, count);
  }
  for (const [reason, count] of Object.entries(simulated.unrouted)) add(`unrouted ${reason}`, count);
  assert.deepEqual(counted, journaled);
  // The limits did something in both: records were dropped, and others waited and were delivered.
  assert.equal(journaled['drops central dropped:rate_limited'], BURSTS * 20);
  assert.ok((simulated.results.find((row) => row.route === 'waits')?.deferred ?? 0) > 0, 'some records waited for the window');
});
