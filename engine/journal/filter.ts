/** The filters of `telem journal` (upstream telem_journal's -c -r -e -b, plus the outcome). */
import type { JournalOutcome } from './entry.js';
import type { JournalLine } from './line.js';

export interface JournalFilter {
  /** Exact classification, or a prefix when it ends in "/*" ("org.example/*"). */
  readonly classification?: string | undefined;
  readonly recordId?: string | undefined;
  readonly eventId?: string | undefined;
  readonly bootId?: string | undefined;
  readonly outcome?: JournalOutcome | undefined;
}

function classificationMatches(pattern: string, classification: string): boolean {
  // Upstream compares all but the "*": "org.example/*" matches "org.example/" and everything below it.
  return pattern.endsWith('/*') ? classification.startsWith(pattern.slice(0, -1)) : classification === pattern;
}

export function matchesJournalFilter(entry: JournalLine, filter: JournalFilter): boolean {
  return (
    (filter.recordId === undefined || entry.recordId === filter.recordId) &&
    (filter.bootId === undefined || entry.bootId === filter.bootId) &&
    (filter.eventId === undefined || entry.eventId === filter.eventId) &&
    (filter.outcome === undefined || entry.outcome === filter.outcome) &&
    (filter.classification === undefined || classificationMatches(filter.classification, entry.classification))
  );
}
