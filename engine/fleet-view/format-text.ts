/** `telem fleet status` as text: a line per channel and sequence with its machines by state, failure reasons, then the machines. */
import type { FleetAnswer, FleetMachineJson } from '../collector/query/answers.js';
import { FLEET_STATES } from '../collector/fleet/states.js';

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
  return `${lines.join('\n')}\n`;
}
