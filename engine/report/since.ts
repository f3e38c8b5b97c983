/**
 * `telem report --since`: what the journal says really happened, counted by classification,
 * destination and outcome. The journal keeps only its last retention.journal_entries lines, so
 * the counts start at the oldest line kept when that is later than the start asked for.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { listJournal } from '../journal/list-journal.js';

export interface SinceCount {
  readonly classification: string;
  readonly destination: string | null;
  readonly outcome: string | null;
  readonly reason: string | null;
  readonly count: number;
}

export interface SinceReport {
  readonly since: string;
  readonly from: string;
  readonly journal: string;
  /** Time of the oldest journal line kept, or null for an empty journal. */
  readonly oldest: string | null;
  /** True when lines from the start of the period may have been pruned already. */
  readonly truncated: boolean;
  readonly counts: readonly SinceCount[];
  /** Records delivered to each destination in the period. */
  readonly delivered: Readonly<Record<string, number>>;
}

export async function countSince(options: { root: string; policy: ResolvedPolicy; sinceMs: number; sinceText: string; now?: number }): Promise<SinceReport> {
  const now = options.now ?? Date.now();
  const from = now - options.sinceMs;
  const listing = await listJournal({ root: options.root, policy: options.policy, filter: {} });
  const oldest = listing.entries[0]?.time ?? null;
  const counts = new Map<string, SinceCount>();
  const delivered: Record<string, number> = {};
  // Journal times are whole seconds: a line of the second `from` falls in counts.
  for (const entry of listing.entries) {
    if (entry.time < Math.floor(from / 1000) * 1000) continue;
    const key = JSON.stringify([entry.classification, entry.destination, entry.outcome, entry.reason]);
    const counted = counts.get(key);
    counts.set(key, { classification: entry.classification, destination: entry.destination, outcome: entry.outcome, reason: entry.reason, count: (counted?.count ?? 0) + 1 });
    if (entry.outcome === 'delivered' && entry.destination !== null) delivered[entry.destination] = (delivered[entry.destination] ?? 0) + 1;
  }
  const sorted = [...counts.values()].sort((a, b) => `${a.destination ?? ''}\0${a.classification}`.localeCompare(`${b.destination ?? ''}\0${b.classification}`) || b.count - a.count);
  return {
    since: options.sinceText,
    from: new Date(from).toISOString(),
    journal: listing.file,
    oldest: oldest === null ? null : new Date(oldest).toISOString(),
    truncated: oldest !== null && oldest > from && listing.entries.length >= options.policy.retention.journal_entries,
    counts: sorted,
    delivered,
  };
}
