/** What a simulation under one policy does differently from the same records under another, one sentence per difference. */
import type { SimulationResult, SimulationRow } from './simulate.js';

export interface SimulationDifference {
  readonly route: string | null;
  readonly destination: string | null;
  /** delivered, deferred, expired, dropped:<reason>, unrouted:<reason>, or leaving:<classification>. */
  readonly measure: string;
  readonly before: number;
  readonly after: number;
  readonly text: string;
}

const key = (row: SimulationRow) => `${row.route}\u0000${row.destination}`;
const n = (count: number) => count.toLocaleString('en-US');

function counts(row: SimulationRow | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!row) return out;
  out.set('delivered', row.delivered);
  out.set('deferred', row.deferred);
  out.set('expired', row.expired);
  for (const [reason, count] of Object.entries(row.dropped)) out.set(`dropped:${reason}`, count);
  return out;
}

function sentence(subject: string, measure: string, before: number, after: number): string {
  const more = after > before;
  const by = n(Math.abs(after - before));
  const [what, reason] = measure.split(':');
  const verb = { delivered: 'deliver', deferred: 'defer', expired: 'let expire', dropped: 'drop', unrouted: 'reject' }[what as string] ?? what;
  return `${subject} would ${verb} ${by} ${more ? 'more' : 'fewer'} records${reason ? ` (${reason})` : ''}`;
}

export function compareSimulations(
  before: SimulationResult,
  after: SimulationResult,
  leaving: { readonly before: ReadonlyMap<string, ReadonlyMap<string, number>>; readonly after: ReadonlyMap<string, ReadonlyMap<string, number>> },
): SimulationDifference[] {
  const differences: SimulationDifference[] = [];
  const old = new Map(before.results.map((row) => [key(row), row]));
  const next = new Map(after.results.map((row) => [key(row), row]));
  for (const id of new Set([...old.keys(), ...next.keys()])) {
    const [was, now] = [old.get(id), next.get(id)];
    const row = (now ?? was) as SimulationRow;
    const [a, b] = [counts(was), counts(now)];
    for (const measure of new Set([...a.keys(), ...b.keys()])) {
      const [x, y] = [a.get(measure) ?? 0, b.get(measure) ?? 0];
      if (x === y) continue;
      differences.push({ route: row.route, destination: row.destination, measure, before: x, after: y, text: sentence(`route ${row.route} → ${row.destination}`, measure, x, y) });
    }
  }
  for (const reason of new Set([...Object.keys(before.unrouted), ...Object.keys(after.unrouted)])) {
    const [x, y] = [before.unrouted[reason] ?? 0, after.unrouted[reason] ?? 0];
    if (x !== y) differences.push({ route: null, destination: null, measure: `unrouted:${reason}`, before: x, after: y, text: sentence('the policy', `unrouted:${reason}`, x, y) });
  }
  for (const [destination, classes] of leaving.after) {
    for (const [classification, count] of classes) {
      const was = leaving.before.get(destination)?.get(classification) ?? 0;
      if (count <= was) continue;
      const text =
        was === 0
          ? `${n(count)} records of class ${classification} would newly leave to destination ${destination}`
          : `${n(count - was)} more records of class ${classification} would leave to destination ${destination}`;
      differences.push({ route: null, destination, measure: `leaving:${classification}`, before: was, after: count, text });
    }
  }
  return differences;
}
