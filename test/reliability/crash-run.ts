/**
 * The crash scenario: probes hand records to the real agent (`telem run`) at a steady rate while
 * it is killed with SIGKILL at random moments and started again; it delivers through a counting
 * proxy (delivery-proxy.ts) to the real collector (`telem collector` on SQLite).
 *
 * Loss is counted the way a probe sees it. libtelemetry reads no reply: a record is *accepted*
 * once its connect, write and close succeeded at the probe (record-stream.ts), and from then on
 * the agent owns it (DESIGN.md, "Durability, stated once"). So:
 *   lost        accepted records that are neither stored at the collector nor journaled by the
 *               agent as dropped with a reason (a drop for `destination_removed` counts as lost:
 *               no run removes a destination, a renamed one is still there);
 *   stored more than once   rows of one record at the collector (its unique index should make this 0);
 *   phantom     stored records that were never sent, or whose payload or event id differs from
 *               what was sent by even one byte — a half-written record.
 * Records whose hand-over failed at the probe (refused, cut) may or may not arrive; counted only.
 *
 * Re-sends are counted at the proxy, not in stored rows: `resent` is every 201 the collector
 * gave for a record beyond its first (requests that failed — collector down — are retries and
 * counted apart). The bound: only a record the agent had already sent and not settled durably can
 * be sent again, so after each kill the spool is read the way the agent's recovery reads it
 * (spool-snapshot.ts) and
 *   resent ≤ Σ over kills (records unsettled at the kill that the proxy had seen a request for
 *                          + requests in flight at the kill),
 * requests in flight also counted when the collector is stopped, and requests the agent gave up on
 * while running (its timeout: the collector may have stored them all the same). That is stricter than "all
 * unsettled records" (reported too, as unsettledAtKills), which under a backlog of thousands
 * could never fail. Each re-sent record must also be one of those (`resentUnexplained` = 0).
 *
 * The spool snapshots at each kill also give the code's view — records intact in a segment — kept
 * as a diagnostic: a lost record never seen there was lost between the socket and the segment.
 */
import path from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentProcess, startAgent, writePolicy } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/tmp.js';
import { journalEntries } from './agent-probe.js';
import { exportedRecords, startCollectorProcess } from './collector-process.js';
import { type ProxiedRequest, startDeliveryProxy } from './delivery-proxy.js';
import { createPrng } from './prng.js';
import { sequenceOf, startRecordStream } from './record-stream.js';
import { attemptSecondAgent, type SecondAgentAttempt } from './second-agent.js';
import { readSpoolSnapshot } from './spool-snapshot.js';

export interface CrashRunOptions {
  readonly seed: number;
  readonly kills: number;
  /** Time the agent runs under load before each kill: a random value in this range, ms. */
  readonly runMs: readonly [number, number];
  /** Concurrent probes. */
  readonly probes: number;
  /** Records/s across all probes. */
  readonly ratePerSecond: number;
  readonly durability: 'fsync' | 'batch';
  /** Longest wait for the last run to deliver everything, ms. */
  readonly drainTimeoutMs: number;
  /** Also take the collector down now and then, across some of the kills, so retries are under way when the agent dies. */
  readonly collectorOutages?: boolean;
  /** The spool's max_size ("unlimited" when absent). Records refused for lack of room are journaled as spool_full. */
  readonly maxSpool?: string;
  /** Before each kill, start a second agent on the same root and policy while the first one runs: it must refuse and leave the spool alone. */
  readonly secondAgent?: boolean;
  /** Rename the destination before each restart (central → main → central …; same URL, the policy file rewritten). */
  readonly renameDestination?: boolean;
  readonly progress?: (line: string) => void;
}

export interface CrashReport {
  readonly seed: number;
  readonly kills: number;
  readonly durability: string;
  readonly seconds: number;
  /** Records/s the probes attempted. */
  readonly rate: number;
  readonly attempted: number;
  /** Connect, write and close succeeded at the probe. */
  readonly accepted: number;
  /** No connection (the agent was down or starting). */
  readonly refused: number;
  /** Connected, then an error (the agent died with the frame unread). */
  readonly cut: number;
  readonly stored: number;
  readonly lost: number;
  /** Accepted records the agent journaled as dropped for a reason (not loss), by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly storedMoreThanOnce: number;
  readonly phantom: number;
  /** Stored records whose hand-over had failed at the probe (taken in all the same). */
  readonly storedNotAccepted: number;
  /** Lost records no spool snapshot ever showed: taken off the socket, never written to a segment. */
  readonly lostNeverSpooled: number;
  /** Lost records a snapshot showed intact in a segment (the code's own view of "acknowledged"). */
  readonly lostAfterSpooled: number;
  /**
   * Lost records whose connection ended during a kill (from the SIGKILL to KILL_CLOSE_MS after the exit, as the
   * probe saw it): the agent may have died holding it after reading the frame, and a probe cannot tell that EOF
   * from a clean close. Approximate (the probe notices a close a little late). The rest were closed earlier, by
   * the agent, as if they were safe.
   */
  readonly lostClosedAtKill: number;
  /** Lost records the agent journaled as dropped:destination_removed. */
  readonly lostDestinationRemoved: number;
  /** Every delivery request the agent sent. */
  readonly requests: number;
  /** 201s from the collector beyond the first per record. */
  readonly resent: number;
  /** Requests not answered 201 (collector down, agent killed mid-request): retried later. */
  readonly retried: number;
  /** Σ records unsettled in the spool at each kill. */
  readonly unsettledAtKills: number;
  /** Of those, records that had been sent at least once before the kill (the ones a restart can really re-send). */
  readonly unsettledSentAtKills: number;
  /** Σ requests in flight at the proxy at each kill and each collector stop. */
  readonly inFlightAtKills: number;
  /** Requests the agent abandoned while it was running (its own timeout): a retry of those is a legitimate re-send. */
  readonly gaveUp: number;
  /** unsettledSentAtKills + inFlightAtKills + gaveUp: `resent` may not exceed it. */
  readonly resentBound: number;
  /** Re-sent records that were neither unsettled (and sent before) nor in flight at any kill or collector stop, nor given up on. */
  readonly resentUnexplained: number;
  /** Distinct records seen intact in a segment at some kill. */
  readonly spooledAtKills: number;
  /** Kills that left a torn spool tail (skipped by recovery). */
  readonly tornTails: number;
  readonly killsDuringOutage: number;
  readonly secondAgent: {
    readonly attempts: number;
    /** Exited by itself with a non-zero status. */
    readonly refused: number;
    /** Exited 0 or by a signal, or was still running after the wait. */
    readonly started: number;
    /** Attempts after which the running agent's segment, or a record it had not settled, was gone. */
    readonly spoolDamaged: number;
    /** Attempts after which the running agent no longer took connections. */
    readonly socketLost: number;
  } | null;
  /** Examples for a failure message. */
  readonly examples: {
    readonly lost: string[];
    readonly storedMoreThanOnce: string[];
    readonly phantom: string[];
    readonly resentUnexplained: string[];
    readonly secondAgent: string[];
  };
}

/** The destination's requests in flight at most (the bound's "in flight" is at most this per kill). */
const DESTINATION_CONCURRENCY = 4;
/** Journaled drop reasons that are loss in these runs: nothing is really removed, rate-limited or rejected here. */
const LOSS_REASONS = new Set(['destination_removed']);
/** A probe sees the end of a connection the kill closed within this long after the agent's exit was reported, ms. */
const KILL_CLOSE_MS = 100;

/** It exited by itself with a non-zero status. */
function refusedToStart(attempt: SecondAgentAttempt): boolean {
  return !attempt.stillRunning && attempt.exitCode !== null && attempt.exitCode !== 0;
}

function policyYaml(options: { url: string; durability: string; maxSpool: string; destination: string }): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: crash-test }
consent: { require_opt_in: false }
spool:
  max_size: ${options.maxSpool}
  durability: ${options.durability}
  retry: { interval: 100ms, max_interval: 1s, jitter: 0 }
# Every outcome stays in the journal: the verdict reads the drops there.
retention: { journal_entries: 100000000 }
destinations:
  ${options.destination}: { type: http, protocol: v3, url: "${options.url}", concurrency: ${DESTINATION_CONCURRENCY}, timeout: 5s }
routes:
  - { name: all, to: [${options.destination}] }
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
  const began = Date.now();
  const progress = options.progress ?? (() => undefined);
  // The scenario's choices (kill points, outages, second agents) come from their own generator, drawn in a fixed order,
  // so a seed replays them whatever the probes do in between; the stream's payload sizes come from one draw of it.
  const prng = createPrng(options.seed);
  const root = await tempDir(t, 'telem-crash-');
  const spoolDir = path.join(root, 'var', 'spool', 'telemetry');
  const collector = await startCollectorProcess(t, { root });
  const proxy = await startDeliveryProxy(t, { target: collector.url });
  const names = options.renameDestination === true ? ['central', 'main'] : ['central'];
  const writeRunPolicy = (run: number) =>
    writePolicy(
      root,
      policyYaml({ url: `${proxy.url}v3/collector`, durability: options.durability, maxSpool: options.maxSpool ?? 'unlimited', destination: names[run % names.length] as string }),
    );
  const policy = await writeRunPolicy(0);
  const start = () => startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'], env: { TELEM_LOG_LEVEL: 'info' } });
  const delivered = (eventId: string) => (proxy.records.get(eventId)?.stored ?? 0) > 0;

  let agent = await start();
  const stream = startRecordStream({ socketPath: agent.socketPath, prng, probes: options.probes, ratePerSecond: options.ratePerSecond, maxFiller: 3000 });
  const spooled = new Set<string>();
  const unsettledEver = new Set<string>();
  const inFlightEver = new Set<string>();
  const attempts: SecondAgentAttempt[] = [];
  let unsettledAtKills = 0;
  let unsettledSentAtKills = 0;
  let inFlightAtKills = 0;
  let tornTails = 0;
  let killsDuringOutage = 0;
  const inFlightRequests = new Set<number>();
  const killWindows: [number, number][] = [];
  const noteInFlight = (requests: readonly ProxiedRequest[]) => {
    let added = 0;
    for (const { request, eventId } of requests) {
      if (inFlightRequests.has(request)) continue;
      inFlightRequests.add(request);
      inFlightEver.add(eventId);
      added += 1;
    }
    return added;
  };
  try {
    for (let kill = 1; kill <= options.kills; kill += 1) {
      const runMs = prng.int(options.runMs[0], options.runMs[1]);
      const outage = options.collectorOutages === true && prng.next() < 0.4;
      let waited = 0;
      if (outage) {
        // Down for part of this run: the kill lands while deliveries are failing and being retried.
        waited = prng.int(0, options.runMs[0]);
        await sleep(waited);
        inFlightAtKills += noteInFlight(proxy.inFlight());
        await collector.stop();
        killsDuringOutage += 1;
      }
      if (options.secondAgent === true) {
        const before = prng.int(0, Math.floor((runMs - waited) / 2));
        await sleep(before);
        // Every other attempt at a quiet moment, as on most machines most of the time: nothing in flight, the spool all settled.
        const quiet = kill % 2 === 0;
        if (quiet) {
          await stream.pause();
          await waitForEmptySpool(agent, 30_000);
        }
        const attempt = await attemptSecondAgent({ root, policy, spoolDir, socketPath: agent.socketPath, delivered, timeoutMs: 15_000 });
        if (quiet) stream.resume();
        attempts.push(attempt);
        waited += before + attempt.ms;
        progress(
          `second agent${quiet ? ' (spool settled)' : ''}: ${attempt.stillRunning ? 'still running (killed)' : `exit ${attempt.exitCode}`} after ${attempt.ms} ms, ` +
            `segment gone ${attempt.currentSegmentGone}, records gone ${attempt.recordsGone.length}, socket lost ${attempt.socketLost}`,
        );
      }
      await sleep(Math.max(0, runMs - waited));
      const inFlightBefore = proxy.inFlight();
      const killedAt = performance.now();
      await agent.kill();
      killWindows.push([killedAt, performance.now() + KILL_CLOSE_MS]);
      const snapshot = await readSpoolSnapshot(spoolDir);
      // Read after the spool, so a request the agent had written before it died has reached the proxy by now.
      const inFlight = noteInFlight([...inFlightBefore, ...proxy.inFlight()]);
      inFlightAtKills += inFlight;
      if (outage) await collector.start();
      for (const entry of snapshot.entries) spooled.add(entry.eventId);
      // Only a record sent before can be re-sent: those bound the re-sends (a stricter bound than all unsettled records).
      const sentBefore = snapshot.unsettled.filter((entry) => (proxy.records.get(entry.eventId)?.requests ?? 0) > 0);
      for (const entry of sentBefore) unsettledEver.add(entry.eventId);
      unsettledAtKills += snapshot.unsettled.length;
      unsettledSentAtKills += sentBefore.length;
      if (snapshot.tornBytes > 0) tornTails += 1;
      const counts = stream.counts();
      progress(
        `kill ${kill}/${options.kills}${outage ? ' (collector down)' : ''}: ${counts.attempted} attempted, ${counts.accepted} accepted; ` +
          `${snapshot.unsettled.length} unsettled in the spool (${sentBefore.length} sent before), ${inFlight} in flight, torn tail ${snapshot.tornBytes} bytes`,
      );
      if (options.renameDestination === true) await writeRunPolicy(kill);
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
  for (const entry of (await readSpoolSnapshot(spoolDir)).entries) spooled.add(entry.eventId);

  // What the collector stored, by sequence number.
  const stored = await exportedRecords(collector);
  const storedCount = new Map<number, number>();
  const phantom: string[] = [];
  for (const record of stored) {
    const seq = sequenceOf(record.payload);
    const sent = seq === null ? undefined : stream.records.get(seq);
    if (seq === null || sent === undefined || sent.payload !== record.payload || sent.eventId !== record.event_id) {
      phantom.push(record.payload.slice(0, 40));
      continue;
    }
    storedCount.set(seq, (storedCount.get(seq) ?? 0) + 1);
  }
  const storedMoreThanOnce = [...storedCount].filter(([, count]) => count > 1).map(([seq]) => `rel-${seq}`);

  // What the agent journaled as dropped, by sequence number (the last such outcome).
  const dropReason = new Map<number, string>();
  for (const entry of await journalEntries(root)) {
    if (entry.outcome === null || entry.outcome === 'delivered' || entry.reason === null) continue;
    const seq = stream.seqOfEvent(entry.eventId);
    if (seq !== undefined) dropReason.set(seq, entry.reason);
  }

  const dropped: Record<string, number> = {};
  const lost: number[] = [];
  for (const seq of stream.accepted) {
    if (storedCount.has(seq)) continue;
    const reason = dropReason.get(seq);
    if (reason !== undefined && !LOSS_REASONS.has(reason)) dropped[reason] = (dropped[reason] ?? 0) + 1;
    else lost.push(seq);
  }
  const eventOf = (seq: number) => (stream.records.get(seq) as { eventId: string }).eventId;
  const describe = (seq: number) =>
    `rel-${seq} (${dropReason.has(seq) ? `journaled ${dropReason.get(seq)}` : spooled.has(eventOf(seq)) ? 'was in a segment at a kill' : 'in no segment at any kill'})`;

  // Requests the agent gave up on while it ran (its timeout): it may send those again, legitimately.
  const gaveUp = proxy.abandoned().filter(({ request }) => !inFlightRequests.has(request));
  const gaveUpEver = new Set(gaveUp.map(({ eventId }) => eventId));
  let resent = 0;
  let retried = 0;
  const resentUnexplained: string[] = [];
  for (const [eventId, counted] of proxy.records) {
    retried += counted.failed;
    if (counted.stored <= 1) continue;
    resent += counted.stored - 1;
    if (!unsettledEver.has(eventId) && !inFlightEver.has(eventId) && !gaveUpEver.has(eventId)) {
      const seq = stream.seqOfEvent(eventId);
      resentUnexplained.push(`${seq === undefined ? eventId : `rel-${seq}`} stored ${counted.stored} times`);
    }
  }

  const counts = stream.counts();
  const accepted = stream.accepted;
  const secondAgentExamples = attempts
    .filter((attempt) => !refusedToStart(attempt) || attempt.currentSegmentGone || attempt.recordsGone.length > 0 || attempt.socketLost)
    .map(
      (attempt) =>
        `${attempt.stillRunning ? 'still running' : `exit ${attempt.exitCode}`}, segment gone ${attempt.currentSegmentGone}, ${attempt.recordsGone.length} records gone, socket lost ${attempt.socketLost}: ${attempt.stderrTail.slice(-300)}`,
    );
  return {
    seed: options.seed,
    kills: options.kills,
    durability: options.durability,
    seconds: Math.round((Date.now() - began) / 1000),
    rate: Math.round(stream.achievedRate()),
    attempted: counts.attempted,
    accepted: counts.accepted,
    refused: counts.refused,
    cut: counts.cut,
    stored: stored.length,
    lost: lost.length,
    dropped,
    storedMoreThanOnce: storedMoreThanOnce.length,
    phantom: phantom.length,
    storedNotAccepted: [...storedCount.keys()].filter((seq) => !accepted.has(seq)).length,
    lostNeverSpooled: lost.filter((seq) => !spooled.has(eventOf(seq)) && !dropReason.has(seq)).length,
    lostAfterSpooled: lost.filter((seq) => spooled.has(eventOf(seq)) && !dropReason.has(seq)).length,
    lostClosedAtKill: lost.filter((seq) => {
      const closedAt = stream.records.get(seq)?.closedAt ?? null;
      return closedAt !== null && killWindows.some(([from, to]) => closedAt >= from && closedAt <= to);
    }).length,
    lostDestinationRemoved: lost.filter((seq) => dropReason.get(seq) === 'destination_removed').length,
    requests: proxy.requests(),
    resent,
    retried,
    unsettledAtKills,
    unsettledSentAtKills,
    inFlightAtKills,
    gaveUp: gaveUp.length,
    resentBound: unsettledSentAtKills + inFlightAtKills + gaveUp.length,
    resentUnexplained: resentUnexplained.length,
    spooledAtKills: spooled.size,
    tornTails,
    killsDuringOutage,
    secondAgent:
      options.secondAgent === true
        ? {
            attempts: attempts.length,
            refused: attempts.filter(refusedToStart).length,
            started: attempts.filter((attempt) => !refusedToStart(attempt)).length,
            spoolDamaged: attempts.filter((attempt) => attempt.currentSegmentGone || attempt.recordsGone.length > 0).length,
            socketLost: attempts.filter((attempt) => attempt.socketLost).length,
          }
        : null,
    examples: {
      lost: lost.slice(0, 5).map(describe),
      storedMoreThanOnce: storedMoreThanOnce.slice(0, 5),
      phantom: phantom.slice(0, 5),
      resentUnexplained: resentUnexplained.slice(0, 5),
      secondAgent: secondAgentExamples.slice(0, 3),
    },
  };
}

/** One line per figure, for the test's diagnostics and CI logs. */
export function formatCrashReport(report: CrashReport): string {
  const { examples: _examples, ...figures } = report;
  return Object.entries(figures)
    .map(([name, value]) => `${name}: ${typeof value === 'object' && value !== null ? JSON.stringify(value) : value}`)
    .join('\n');
}

/** The verdict every crash run asserts, as one comparable object: all zero/true when the run passed. */
export function crashVerdict(report: CrashReport): Record<string, number | boolean> {
  return {
    lost: report.lost,
    storedMoreThanOnce: report.storedMoreThanOnce,
    phantom: report.phantom,
    resentWithinBound: report.resent <= report.resentBound,
    resentUnexplained: report.resentUnexplained,
    ...(report.secondAgent
      ? {
          secondAgentStarted: report.secondAgent.started,
          secondAgentDamagedSpool: report.secondAgent.spoolDamaged,
          secondAgentTookSocket: report.secondAgent.socketLost,
        }
      : {}),
  };
}

export const PASSING_VERDICT = (report: CrashReport): Record<string, number | boolean> => ({
  lost: 0,
  storedMoreThanOnce: 0,
  phantom: 0,
  resentWithinBound: true,
  resentUnexplained: 0,
  ...(report.secondAgent ? { secondAgentStarted: 0, secondAgentDamagedSpool: 0, secondAgentTookSocket: 0 } : {}),
});
