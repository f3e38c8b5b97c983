/** A simulation as `telem simulate` prints it: a table per route and destination, what no route took, and the differences. */
import type { SimulationDifference } from './compare.js';
import type { SimulationResult } from './simulate.js';

const n = (count: number) => count.toLocaleString('en-US');

/** Bytes for reading, not for writing back into a policy: "4.0 MiB", "812 B". */
function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${count} B` : `${value.toFixed(1)} ${units[unit]}`;
}
const reasons = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, count]) => `${reason} ${n(count)}`)
    .join(', ') || '0';

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map(
      (row) =>
        `  ${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}`,
    )
    .join('\n');
}

/** Differences shown in text, beyond which the JSON has them all. */
const SHOWN_DIFFERENCES = 40;

export function formatSimulationText(result: SimulationResult, policyLabel: string, differences?: { readonly label: string; readonly list: readonly SimulationDifference[] }): string {
  const lines = [`Simulated ${n(result.records)} records through ${policyLabel} (${result.policy.name} revision ${result.policy.revision}); nothing was sent.`, ''];
  const rows = [
    ['route', 'destination', 'delivered', 'deferred', 'expired', 'dropped', 'bytes'],
    ...result.results.map((row) => [row.route, row.destination, n(row.delivered), n(row.deferred), n(row.expired), reasons(row.dropped), bytes(row.bytes)]),
  ];
  lines.push(result.results.length === 0 ? '  (the policy has no routes)' : table(rows));
  lines.push('', `not routed: ${reasons(result.unrouted)}`);
  if (differences) {
    lines.push('', `Compared with ${differences.label}:`);
    if (differences.list.length === 0) lines.push('  no difference');
    for (const difference of differences.list.slice(0, SHOWN_DIFFERENCES)) lines.push(`  ${difference.text}`);
    if (differences.list.length > SHOWN_DIFFERENCES) lines.push(`  … and ${n(differences.list.length - SHOWN_DIFFERENCES)} more (see --format json)`);
  }
  return `${lines.join('\n')}\n`;
}
