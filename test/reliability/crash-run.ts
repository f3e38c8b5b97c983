/**
 * The crash scenario: records stream into the real agent (`telem run`) while it is killed with
 * SIGKILL at random moments and started again, delivering to the real collector (`telem collector`
 * on SQLite). At the end every record is accounted for.
 *
 * "Acknowledged" means: the agent made the record durable in its spool. The probe protocol has no
 * reply (a client whose connection was accepted and closed cleanly knows nothing more), and the
 * agent's intake sink resolves only once the spool's group commit has synced the record. So after
 * each kill, before the restart, the test reads the spool segments exactly as the agent's recovery
 * does: every intact (length + CRC-32 checked) entry there is acknowledged. That is a superset of
 * the records whose sync completed (bytes written but not yet synced survive a process kill too),
 * so it is the stricter set to demand delivery for. Records of the last run are read from the spool
 * after its clean stop.
 *
 * The verdict:
 *   lost        acknowledged records missing at the collector (must be 0);
 *   duplicated  records stored more than once at the collector (must be 0);
 *   phantom     stored records that were never sent, or whose payload differs from what was sent
 *               by even one byte — a half-written record (must be 0).
 * Records not acknowledged (their connection was cut by a kill) may or may not arrive; the counts
 * are reported.
 */
import path from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentProcess, startAgent, writePolicy } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/tmp.js';
import { exportedRecords, startCollectorProcess } from './collector-process.js';
import { createPrng } from './prng.js';
import { sequenceOf, startRecordStream } from './record-stream.js';
import { readSpoolSnapshot } from './spool-snapshot.js';

export interface CrashRunOptions {
  readonly seed: number;
  readonly kills: number;
  /** Time the agent runs under load before each kill: a random value in this range, ms. */
  readonly runMs: readonly [number, number];
  readonly senders: number;
  readonly pauseMs: number;
  readonly durability: 'fsync' | 'batch';
  /** Longest wait for the last run to deliver everything, ms. */
  readonly drainTimeoutMs: number;
  /** Also take the collector down now and then, across some of the kills, so retries are under way when the agent dies. */
  readonly collectorOutages?: boolean;
  /** The spool's max_size ("unlimited" when absent). Records refused for lack of room are not acknowledged. */
  readonly maxSpool?: string;
  readonly progress?: (line: string) => void;
}

export interface CrashReport {
  readonly seed: number;
  readonly kills: number;
  readonly durability: string;
  /** Connections opened for a record. */
  readonly attempted: number;
  /** Frames written whole on a connection that closed cleanly. */
  readonly written: number;
  /** Connections refused while the agent was down. */
  readonly refused: number;
  readonly acknowledged: number;
  readonly stored: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly phantom: number;
  /** Stored records that were not acknowledged before a kill (taken in and delivered all the same). */
  readonly storedUnacknowledged: number;
  /** Written records that never arrived: all of them were cut off by a kill before they were durable. */
  readonly writtenNotStored: number;
  /** Kills that left a torn spool tail (skipped by recovery, never delivered). */
  readonly tornTails: number;
  /** Deliveries the collector recognised as already stored (a kill between its 201 and the spool's settlement). */
  readonly retransmits: number;
  /** Kills that happened while the collector was down. */
  readonly killsDuringOutage: number;
  /** Examples for a failure message. */
  readonly examples: { readonly lost: string[]; readonly duplicated: string[]; readonly phantom: string[] };
}

function policyYaml(options: { url: string; durability: string; maxSpool: string }): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: crash-test }
consent: { require_opt_in: false }
spool:
  max_size: ${options.maxSpool}
  durability: ${options.durability}
  retry: { interval: 100ms, max_interval: 1s, jitter: 0 }
destinations:
  collector: { type: http, protocol: v3, url: "${options.url}", concurrency: 4, timeout: 5s }
routes:
  - { name: all, to: [collector] }
`;
}

interface AgentStatus {
  readonly spool: { readonly records: number };
  readonly backlog: Readonly<Record<string, number>>;
}

async function status(agent: AgentProcess): Promise<AgentStatus> {
  const ready = await agent.waitForLog((line) => line.msg === 'agent ready');
  return (await (await fetch(`${ready.metrics as string}/status`)).json()) as AgentStatus;
}

async function waitForEmptySpool(agent: AgentProcess, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const now = await status(agent);
    if (now.spool.records === 0 && Object.values(now.backlog).every((count) => count === 0)) return;
    if (Date.now() - started > timeoutMs) throw new Error(`the spool still holds ${now.spool.records} records after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function runCrashScenario(t: TestContext, options: CrashRunOptions): Promise<CrashReport> {
  const progress = options.progress ?? (() => undefined);
  const prng = createPrng(options.seed);
  const root = await tempDir(t, 'telem-crash-');
  const spoolDir = path.join(root, 'var', 'spool', 'telemetry');
  const collector = await startCollectorProcess(t, { root });
  const policy = await writePolicy(root, policyYaml({ url: collector.ingestUrl, durability: options.durability, maxSpool: options.maxSpool ?? 'unlimited' }));
  const start = () => startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'], env: { TELEM_LOG_LEVEL: 'info' } });

  let agent = await start();
  const stream = startRecordStream({ socketPath: agent.socketPath, prng, senders: options.senders, pauseMs: options.pauseMs, maxFiller: 3000 });
  const acknowledged = new Set<string>();
  let tornTails = 0;
  let killsDuringOutage = 0;
  try {
    for (let kill = 1; kill <= options.kills; kill += 1) {
      const outage = options.collectorOutages === true && prng.next() < 0.4;
      if (outage) {
        // Down for part of this run: the kill lands while deliveries are failing and being retried.
        await sleep(prng.int(0, options.runMs[0]));
        await collector.stop();
        killsDuringOutage += 1;
      }
      await sleep(prng.int(options.runMs[0], options.runMs[1]));
      await agent.kill();
      if (outage) await collector.start();
      const snapshot = await readSpoolSnapshot(spoolDir);
      for (const payload of snapshot.payloads) acknowledged.add(payload);
      if (snapshot.tornBytes > 0) tornTails += 1;
      progress(`kill ${kill}/${options.kills}: ${stream.attempted.size} records attempted, ${acknowledged.size} acknowledged so far, torn tail ${snapshot.tornBytes} bytes`);
      agent = await start();
    }
    // The last run keeps taking records for a while, then the stream stops and the spool drains.
    await sleep(prng.int(options.runMs[0], options.runMs[1]));
  } finally {
    await stream.stop();
  }
  await waitForEmptySpool(agent, options.drainTimeoutMs);
  const exitCode = await agent.stop();
  if (exitCode !== 0) throw new Error(`the last agent run exited with ${exitCode}`);
  for (const payload of (await readSpoolSnapshot(spoolDir)).payloads) acknowledged.add(payload);

  const stored = await exportedRecords(collector.url);
  const sentPayloads = new Set(stream.attempted.values());
  const seen = new Map<string, number>();
  const phantom: string[] = [];
  for (const record of stored) {
    seen.set(record.payload, (seen.get(record.payload) ?? 0) + 1);
    const seq = sequenceOf(record.payload);
    if (seq === null || stream.attempted.get(seq) !== record.payload) phantom.push(record.payload.slice(0, 40));
  }
  const duplicated = [...seen].filter(([, count]) => count > 1).map(([payload]) => payload.slice(0, 40));
  const lost = [...acknowledged].filter((payload) => !seen.has(payload)).map((payload) => payload.slice(0, 40));
  const unknownAcknowledged = [...acknowledged].filter((payload) => !sentPayloads.has(payload));
  if (unknownAcknowledged.length > 0) throw new Error(`the spool held ${unknownAcknowledged.length} records that were never sent`);
  const writtenNotStored = [...stream.written].filter((seq) => !seen.has(stream.attempted.get(seq) as string)).length;

  return {
    seed: options.seed,
    kills: options.kills,
    durability: options.durability,
    attempted: stream.attempted.size,
    written: stream.written.size,
    refused: stream.refused(),
    acknowledged: acknowledged.size,
    stored: stored.length,
    lost: lost.length,
    duplicated: duplicated.length,
    phantom: phantom.length,
    storedUnacknowledged: [...seen.keys()].filter((payload) => !acknowledged.has(payload)).length,
    writtenNotStored,
    tornTails,
    killsDuringOutage,
    retransmits: collector.logs.filter((line) => line.includes('retransmitted record already stored')).length,
    examples: { lost: lost.slice(0, 5), duplicated: duplicated.slice(0, 5), phantom: phantom.slice(0, 5) },
  };
}

/** One line per figure, for the test's diagnostics and CI logs. */
export function formatCrashReport(report: CrashReport): string {
  const { examples: _examples, ...figures } = report;
  return Object.entries(figures)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}
