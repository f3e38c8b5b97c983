/** `telem fleet status` as text: a line per channel and sequence with its machines by state, failure reasons, the machines, then the staged rollouts. */
import type { ArmCounters, FleetAnswer, FleetMachineJson, RolloutView } from '../collector/query/answers.js';
import { FLEET_STATES, ROLLOUT_ARMS, ROLLOUT_STATES, type RolloutState } from '../collector/fleet/states.js';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function machineRow(machine: FleetMachineJson): string[] {
  return [
    machine.machine_id,
    machine.channel,
    machine.active === null ? 'local' : String(machine.active),
    machine.state,
    machine.desired === null ? '-' : String(machine.desired),
    machine.last_failed === null ? '-' : `${machine.last_failed.sequence}: ${machine.last_failed.reason}`,
    machine.seen_at,
  ];
}

const percent = (ratio: number | null) => (ratio === null ? '-' : `${Math.round(ratio * 10_000) / 100}%`);

function states(counts: Readonly<Partial<Record<RolloutState, number>>> | undefined): string {
  return ROLLOUT_STATES.filter((state) => counts?.[state])
    .map((state) => `${state} ${counts?.[state]}`)
    .join(', ');
}

function armLine(name: string, arm: ArmCounters): string {
  return (
    `    ${name} arm: ${plural(arm.machines, 'machine')}, accepted ${arm.accepted}, delivered ${arm.delivered}, failed ${arm.failed}, dropped ${arm.dropped} ` +
    `(delivery failure ratio ${percent(arm.delivery_failure_ratio)}, drop ratio ${percent(arm.drop_ratio)})`
  );
}

/** One rollout: its halt, each step with its window and machines per arm and state, the arms' counters, the gates that failed. */
export function formatRollout(rollout: RolloutView): string[] {
  const halt = rollout.halt.halted
    ? `HALTED by ${rollout.halt.by ?? '?'} at ${rollout.halt.at ?? '?'}: ${rollout.halt.reason ?? ''}`
    : rollout.halt.at
      ? `running (resumed by ${rollout.halt.by ?? '?'} at ${rollout.halt.at})`
      : 'running';
  const lines = [`  ${rollout.id} on ${rollout.channel}${rollout.sequence === null ? '' : `, sequence ${rollout.sequence}`}, ${plural(rollout.machines, 'machine')}: ${halt}`];
  for (const step of rollout.steps) {
    const arms = ROLLOUT_ARMS.filter((arm) => step.machines[arm]).map((arm) => `${arm}: ${states(step.machines[arm])}`);
    lines.push(`    step ${step.step}  ${step.percent}%  ${step.begins} – ${step.ends}  max_failure_rate ${percent(step.max_failure_rate)}  ${arms.length ? arms.join('; ') : 'no machine'}`);
  }
  const before = states(rollout.unstepped);
  if (before) lines.push(`    before the start: ${before}`);
  lines.push(armLine('candidate', rollout.arms.candidate), armLine('stable', rollout.arms.stable));
  for (const gate of rollout.failing_gates) {
    const measured = gate.value === null ? '' : ` (up to ${gate.value}${gate.threshold === null ? '' : `, threshold ${gate.threshold}`})`;
    lines.push(`    gate ${gate.name} failed on ${plural(gate.machines, 'machine')}${measured}`);
  }
  return lines;
}

export function formatFleet(answer: FleetAnswer, collector: string): string {
  const lines = [`Fleet at ${collector}: ${plural(answer.total_machines, 'machine')}`];
  if (answer.total_machines === 0 && answer.channels.length === 0) {
    lines.push('No machine has sent a status record (org.telem/agent/status) yet.');
    return `${lines.join('\n')}\n`;
  }
  for (const { channel, sequences } of answer.channels) {
    for (const group of sequences) {
      const states = FLEET_STATES.filter((state) => group.states[state]).map((state) => `${state} ${group.states[state]}`);
      lines.push(
        `  ${channel} ${group.sequence === null ? 'local policy' : `sequence ${group.sequence}`}: ${plural(group.machines, 'machine')}${states.length ? ` (${states.join(', ')})` : ''}`,
      );
      for (const failure of group.failures) lines.push(`    failed on ${plural(failure.machines, 'machine')}: ${failure.reason}`);
    }
  }
  if (answer.machines.length > 0) {
    lines.push('');
    lines.push(...table([['MACHINE', 'CHANNEL', 'SEQUENCE', 'STATE', 'DESIRED', 'LAST FAILED', 'SEEN'], ...answer.machines.map(machineRow)]));
    if (answer.machines.length < answer.total_machines) lines.push(`(${answer.machines.length} of ${answer.total_machines} machines listed; --limit lists more, up to 1000)`);
  }
  // Collectors before staged rollouts answer without the list.
  if ((answer.rollouts ?? []).length > 0) {
    lines.push('', 'Staged rollouts:');
    for (const rollout of answer.rollouts) lines.push(...formatRollout(rollout));
  }
  return `${lines.join('\n')}\n`;
}
