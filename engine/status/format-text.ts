/** `telem status` as text: one aligned line per subject, a line per destination. */
import { formatDuration, formatSize } from '../../schemas/units.js';
import type { DestinationHealth, DestinationProblem } from '../agent/destination-health.js';
import type { StatusReport } from './collect-status.js';

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
  else if (health.state === 'refusing')
    parts.push(`refusing: ${health.held} held back after ${health.lastRefusal ? problemText(health.lastRefusal) : 'a refusal'} at ${health.lastRefusal?.at ?? '?'}`);
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

const seq = (ref: { sequence: number | null } | null) => (ref === null ? 'none' : ref.sequence === null ? '?' : String(ref.sequence));

function formatFleet(fleet: NonNullable<StatusReport['fleet']>, running: boolean): string[] {
  const from = fleet.source === null ? '' : ` from ${fleet.source}`;
  const desired = fleet.desired !== null && fleet.desired !== fleet.active?.sequence ? `, source offers ${fleet.desired}` : '';
  const lines = [
    `fleet:      channel ${fleet.channel ?? '?'}${from}; active ${seq(fleet.active)}, previous ${seq(fleet.previous)}${desired}; state ${fleet.state ?? 'none yet'}${running ? '' : ' (saved)'}`,
  ];
  const when = (iso: string | null) => iso ?? 'never';
  lines.push(
    `fleet poll: last poll ${when(fleet.lastPollAt)}, last download ${when(fleet.lastDownloadAt)}, last activation ${when(fleet.lastActivationAt)}${fleet.nextPollAt ? `, next poll ${fleet.nextPollAt}` : ''}`,
  );
  if (fleet.lastError) {
    const fields = fleet.lastError.fields.length > 0 ? ` (field${fleet.lastError.fields.length > 1 ? 's' : ''} ${fleet.lastError.fields.join(', ')})` : '';
    lines.push(`fleet error: ${fleet.lastError.at} ${fleet.lastError.code}${fields}: ${fleet.lastError.message}`);
  }
  if (fleet.lastFailed) lines.push(`fleet failed: bundle ${seq(fleet.lastFailed)} at ${fleet.lastFailed.at}: ${fleet.lastFailed.reason}`);
  const { rollout } = fleet;
  if (rollout) {
    const step = rollout.step === null ? 'before its start' : `step ${rollout.step} (${rollout.spec.steps[rollout.step]?.percent ?? '?'}%)`;
    const gate = rollout.gate === null ? '' : `; gate ${rollout.gate.name}${rollout.gate.value === null ? '' : `: ${rollout.gate.value} over ${rollout.gate.threshold}`}`;
    lines.push(`fleet rollout: "${rollout.id}" (bundle ${rollout.sequence}): ${rollout.arm} arm, ${rollout.state}, ${step}${gate}`);
  }
  return lines;
}

const PROBE_STATE = { running: 'running', failed: 'cannot start (see the agent log)', missing: 'not in this build of telem' } as const;

function formatProbes(probes: NonNullable<StatusReport['probes']>): string {
  const entries = Object.entries(probes);
  if (entries.length === 0) return 'none enabled';
  return entries.map(([name, probe]) => `${name} ${PROBE_STATE[probe.state]}, ${probe.spooled} spooled, ${probe.refused} refused`).join('; ');
}

/** The report as `telem status` prints it, one line per subject. */
export function formatStatus(report: StatusReport, now = Date.now()): string {
  const { machineId, agent, policy, spool } = report;
  const identity =
    machineId.source === 'static'
      ? `${machineId.id} (static, from ${machineId.file})`
      : machineId.id === null
        ? `none yet (the agent assigns one at its first record; rotated every ${machineId.rotateEvery})`
        : `${machineId.id} (assigned ${machineId.assignedAt}, rotated every ${machineId.rotateEvery})`;
  const origin = policy?.source ? (policy.source.startsWith('/') ? `from ${policy.source}` : policy.source) : 'built-in defaults';
  const policyText =
    policy === null ? 'none usable (see telem validate)' : `${policy.name} revision ${policy.revision}, ${origin}${policy.sha256 === null ? '' : `, sha256 ${policy.sha256.slice(0, 12)}`}`;
  const lines = [
    `opt-in:     ${report.optedIn ? 'yes' : 'no'} (${report.optInFile} ${report.optedIn ? 'exists' : 'is missing; run "telem opt-in"'})`,
    `machine id: ${identity}`,
    `agent:      ${formatAgent(report)}`,
    `policy:     ${policyText}${agent.running ? '' : '; what a start would run'}`,
  ];
  if (spool) lines.push(`spool:      ${spool.records} records, ${formatSize(spool.bytes)} of ${spool.maxBytes === null ? 'unlimited' : formatSize(spool.maxBytes)} (${spool.dir})`);
  for (const [name, health] of Object.entries(report.destinations).sort(([a], [b]) => a.localeCompare(b))) lines.push(formatDestination(name, health, now));
  lines.push(`drops:      ${formatCounts(report.drops)}`);
  lines.push(`refused:    ${formatCounts(report.refused)}`);
  if (report.probes) lines.push(`probes:     ${formatProbes(report.probes)}`);
  if (report.fleet) lines.push(...formatFleet(report.fleet, agent.running));
  return lines.join('\n');
}
