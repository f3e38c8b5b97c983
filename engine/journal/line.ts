/**
 * The journal line format. The first five fields are upstream's, with its separator (RS, \x1e),
 * so upstream tools still read our journal (they stop at the fifth field); ours follow:
 *   record_id RS timestamp RS classification RS event_id RS boot_id RS outcome RS reason RS route RS destination RS revision
 * The timestamp is in seconds, as upstream wrote it; empty fields stand for null.
 */
import type { JournalEntry, JournalOutcome } from './entry.js';

export const FIELD_SEPARATOR = '\x1e';

const UPSTREAM_FIELDS = 5;
const OUR_FIELDS = 10;
const OUTCOMES: ReadonlySet<string> = new Set<JournalOutcome>(['delivered', 'dropped', 'expired', 'rejected']);

/** A journal line read back: upstream's 5-field lines carry no outcome, reason, route, destination or revision. */
export interface JournalLine extends Omit<JournalEntry, 'outcome' | 'policyRevision'> {
  readonly outcome: JournalOutcome | null;
  readonly policyRevision: number | null;
}

export type ParsedLine = { readonly entry: JournalLine } | { readonly problem: string };

/** A separator or line break inside a value would split the line; they cannot occur in valid records. */
function field(value: string | number | null): string {
  return value === null ? '' : String(value).replace(/[\x1e\r\n]/g, ' ');
}

/** One journal line, newline included. */
export function formatJournalLine(entry: JournalEntry): string {
  return `${[
    entry.recordId,
    Math.floor(entry.time / 1000),
    entry.classification,
    entry.eventId,
    entry.bootId,
    entry.outcome,
    entry.reason,
    entry.route,
    entry.destination,
    entry.policyRevision,
  ]
    .map(field)
    .join(FIELD_SEPARATOR)}\n`;
}

function orNull(text: string | undefined): string | null {
  return text === undefined || text === '' ? null : text;
}

/** Parses one line (without its newline); anything that is not a whole upstream or telem line is a problem. */
export function parseJournalLine(text: string): ParsedLine {
  const fields = text.split(FIELD_SEPARATOR);
  if (fields.length < UPSTREAM_FIELDS) return { problem: `${fields.length} fields, expected at least ${UPSTREAM_FIELDS}` };
  // Lines from a later telem may carry more fields; a count between the two formats means a damaged line.
  if (fields.length > UPSTREAM_FIELDS && fields.length < OUR_FIELDS) return { problem: `${fields.length} fields, expected ${UPSTREAM_FIELDS} or ${OUR_FIELDS}` };
  const [recordId = '', timestamp = '', classification = '', eventId = '', bootId = '', outcome, reason, route, destination, revision] = fields;
  if (recordId === '') return { problem: 'no record id' };
  if (!/^\d+$/.test(timestamp)) return { problem: `timestamp "${timestamp}" is not a number of seconds` };
  if (classification === '') return { problem: 'no classification' };
  if (outcome !== undefined && outcome !== '' && !OUTCOMES.has(outcome)) return { problem: `unknown outcome "${outcome}"` };
  if (revision !== undefined && revision !== '' && !/^\d+$/.test(revision)) return { problem: `revision "${revision}" is not a number` };
  return {
    entry: {
      recordId,
      time: Number(timestamp) * 1000,
      classification,
      eventId,
      bootId,
      outcome: (orNull(outcome) as JournalOutcome | null) ?? null,
      reason: orNull(reason),
      route: orNull(route),
      destination: orNull(destination),
      policyRevision: revision === undefined || revision === '' ? null : Number(revision),
    },
  };
}
