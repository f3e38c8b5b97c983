/** The drop ledger: how many records were dropped, by reason, as `telem status` shows it. */
import type { JournalLine } from './line.js';

/** Dropped records per reason, most frequent first (then by name); drops without a reason count as "unknown". */
export function dropLedger(entries: Iterable<Pick<JournalLine, 'outcome' | 'reason'>>): Readonly<Record<string, number>> {
  const counts = new Map<string, number>();
  for (const entry of entries) {
    if (entry.outcome !== 'dropped') continue;
    const reason = entry.reason ?? 'unknown';
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}
