/**
 * `telem status`: consent, machine id, and what the running agent says about itself (its status
 * file): the policy it runs, its spool, each destination's health, drops and refusals. When no
 * agent runs, it says so plainly and shows what a start would load.
 */
import { Command, Option } from 'commander';
import type { DestinationHealth, DestinationProblem } from '../../engine/agent/destination-health.js';
import { PersistentCounters } from '../../engine/agent/counters.js';
import { type RuntimeStatus, readStatusFile, statusFilePath } from '../../engine/agent/status-file.js';
import { describeMachineId } from '../../engine/consent/machine-id.js';
import { isOptedIn, optInPath } from '../../engine/consent/opt-in.js';
import { isListening } from '../../engine/intake/socket-file.js';
import { loadProbeSettings } from '../../engine/probe/settings.js';
import { formatDuration, formatSize } from '../../schemas/units.js';
import { EXIT_OK } from '../exit-codes.js';
import { rootOf } from '../probe-support.js';

export interface StatusReport {
  readonly optedIn: boolean;
  readonly optInFile: string;
  readonly machineId: {
    readonly id: string | null;
    readonly source: 'static' | 'file' | 'none';
    readonly file: string;
    readonly assignedAt: string | null;
    readonly rotateEvery: string | null;
  };
  readonly agent: {
    readonly socket: string;
    readonly listening: boolean;
    /** The agent's own status file says it runs, and its process is there. */
    readonly running: boolean;
    readonly pid: number | null;
    readonly startedAt: string | null;
    /** When the agent last wrote its status. */
    readonly updatedAt: string | null;
    /** running, stopped (cleanly), died (its process is gone without a clean stop), or never (no agent ran under this root). */
    readonly state: 'running' | 'stopped' | 'died' | 'never';
    readonly statusFile: string;
  };
  /** The running agent's policy; when none runs, the one a start would load. */
  readonly policy: { readonly name: string; readonly revision: number; readonly source: string | null } | null;
  readonly spool: RuntimeStatus['spool'] | null;
  readonly destinations: Readonly<Record<string, DestinationHealth>>;
  /** Records not delivered, by reason, since the counters were first kept on this machine. */
  readonly drops: Readonly<Record<string, number>>;
  /** Connections the intake refused, by reason, likewise. */
  readonly refused: Readonly<Record<string, number>>;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function policyAStartWouldLoad(root: string): Promise<StatusReport['policy']> {
  const { loadAgentPolicy } = await import('../../engine/load/agent-policy.js');
  const { policy } = await loadAgentPolicy({ root });
  return policy ? { name: policy.metadata.name, revision: policy.metadata.revision, source: policy.source } : null;
}

export async function collectStatus(root: string): Promise<StatusReport> {
  const settings = await loadProbeSettings({ root });
  const file = readStatusFile(root);
  const alive = file !== null && processExists(file.pid);
  const running = file?.state === 'running' && alive;
  const socket = running ? file.socket : settings.socketPath;
  const [optedIn, machine, listening] = await Promise.all([isOptedIn({ root }), describeMachineId({ root }), isListening(socket)]);
  // A running agent's own totals are current to the second; otherwise the saved counters.
  const totals = running ? { drops: file.drops, refusals: file.intake.refused } : new PersistentCounters({ root }).totals();
  const state: StatusReport['agent']['state'] = file === null ? 'never' : running ? 'running' : file.state === 'stopped' ? 'stopped' : 'died';
  return {
    optedIn,
    optInFile: optInPath({ root }),
    machineId: {
      id: machine.id,
      source: machine.source,
      file: machine.file,
      assignedAt: machine.assignedAt?.toISOString() ?? null,
      rotateEvery: machine.source === 'static' ? null : formatDuration(settings.rotateEveryMs),
    },
    agent: {
      socket,
      listening,
      running,
      pid: file?.pid ?? null,
      startedAt: file?.startedAt ?? null,
      updatedAt: file?.updatedAt ?? null,
      state,
      statusFile: statusFilePath(root),
    },
    policy: running ? file.policy : await policyAStartWouldLoad(root),
    spool: running ? file.spool : null,
    destinations: running ? file.destinations : {},
    drops: totals.drops,
    refused: totals.refusals,
  };
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([reason, count]) => `${reason} ${count}`).join(', ');
}

function inTime(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? 'due now' : `in ${formatDuration(Math.ceil(ms / 1000) * 1000)}`;
}

function problemText(problem: DestinationProblem): string {
  const answer = problem.answer === null ? '' : ` ${JSON.stringify(problem.answer.length > 120 ? `${problem.answer.slice(0, 117)}...` : problem.answer)}`;
  return `${problem.status === null ? problem.reason : `HTTP ${problem.status}`}${answer}`;
}

function formatDestination(name: string, health: DestinationHealth, now: number): string {
  const waiting = `${health.queued + health.held + health.inFlight} waiting`;
  const parts: string[] = [];
  if (health.state === 'removed') parts.push('not in the policy any more: its records stay until they expire');
  else if (health.state === 'failing') parts.push(`failing since ${health.failingSince} (${health.lastError ? problemText(health.lastError) : 'unknown'})`);
  else if (health.state === 'refusing') parts.push(`refusing: ${health.held} held back after ${health.lastRefusal ? problemText(health.lastRefusal) : 'a refusal'} at ${health.lastRefusal?.at ?? '?'}`);
  else parts.push('ok');
  if (health.nextRetryAt) parts.push(`next retry ${health.nextRetryAt} (${inTime(health.nextRetryAt, now)})`);
  parts.push(waiting);
  parts.push(health.lastSuccessAt ? `last success ${health.lastSuccessAt}` : 'no success yet');
  return `destination ${name}: ${parts.join('; ')}`;
}

function formatAgent(report: StatusReport): string {
  const { agent } = report;
  const listening = agent.listening ? `listening on ${agent.socket}` : `nothing listens on ${agent.socket}`;
  switch (agent.state) {
    case 'running':
      return `running (pid ${agent.pid}, since ${agent.startedAt}), ${listening}`;
    case 'stopped':
      return `not running (${listening}; the last one, pid ${agent.pid}, stopped at ${agent.updatedAt})`;
    case 'died':
      return `not running (${listening}; the last one, pid ${agent.pid}, died without stopping: last seen at ${agent.updatedAt})`;
    case 'never':
      return agent.listening ? `${listening} (no telem agent status: an upstream telemprobd?)` : `not running (${listening})`;
  }
}

function formatStatus(report: StatusReport): string {
  const { machineId, agent, policy, spool } = report;
  const identity =
    machineId.source === 'static'
      ? `${machineId.id} (static, from ${machineId.file})`
      : machineId.id === null
        ? `none yet (the agent assigns one at its first record; rotated every ${machineId.rotateEvery})`
        : `${machineId.id} (assigned ${machineId.assignedAt}, rotated every ${machineId.rotateEvery})`;
  const origin = policy?.source ? (policy.source.startsWith('/') ? `from ${policy.source}` : policy.source) : 'built-in defaults';
  const policyText = policy === null ? 'none usable (see telem validate)' : `${policy.name} revision ${policy.revision}, ${origin}`;
  const lines = [
    `opt-in:     ${report.optedIn ? 'yes' : 'no'} (${report.optInFile} ${report.optedIn ? 'exists' : 'is missing; run "telem opt-in"'})`,
    `machine id: ${identity}`,
    `agent:      ${formatAgent(report)}`,
    `policy:     ${policyText}${agent.running ? '' : '; what a start would run'}`,
  ];
  if (spool) lines.push(`spool:      ${spool.records} records, ${formatSize(spool.bytes)} of ${spool.maxBytes === null ? 'unlimited' : formatSize(spool.maxBytes)} (${spool.dir})`);
  const now = Date.now();
  for (const [name, health] of Object.entries(report.destinations).sort(([a], [b]) => a.localeCompare(b))) lines.push(formatDestination(name, health, now));
  lines.push(`drops:      ${formatCounts(report.drops)}`);
  lines.push(`refused:    ${formatCounts(report.refused)}`);
  return lines.join('\n');
}

export function statusCommand(): Command {
  return new Command('status')
    .summary('show consent, machine id, and what the running agent is doing')
    .description(
      'Show whether this machine has opted in and its machine id, then what the running agent reports about itself: the ' +
        'policy and revision it runs, its spool, each destination (ok, failing since when and why, records held back ' +
        'because the destination refused them, the next retry), records dropped by reason and connections refused by ' +
        'reason (both counted across restarts). When no agent runs it says so, and shows the policy a start would load.\n\n' +
        'Exit status: 0.',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const report = await collectStatus(rootOf(command));
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
      process.exitCode = EXIT_OK;
    });
}
