/**
 * What `telem journal` lists: the entries of the journal the policy names that match a filter,
 * with their retained payloads when asked for. The journal is found through the policy the agent
 * on the root runs (the same search as `telem run`), or the one named explicitly.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { TelemError } from '../errors/telem-error.js';
import { underRoot } from '../paths/root.js';
import { type JournalFilter, matchesJournalFilter } from './filter.js';
import type { JournalLine } from './line.js';
import { type JournalProblem, readJournal } from './read-journal.js';
import { readRetainedPayload } from './retained-payloads.js';

export interface JournalListing {
  /** The journal file, under the root. */
  readonly file: string;
  readonly entries: readonly JournalLine[];
  /** With includePayloads: the retained payload of each entry (same index), null when none is kept. */
  readonly payloads: readonly (Buffer | null)[] | null;
  /** Damaged lines that were skipped. */
  readonly problems: readonly JournalProblem[];
  /** Nothing has been journaled yet. */
  readonly missing: boolean;
  /** With includePayloads: delivered entries listed, and how many of them have no retained payload. */
  readonly delivered: number;
  readonly notRetained: number;
}

export interface ListJournalOptions {
  readonly root: string;
  readonly policy: ResolvedPolicy;
  readonly filter: JournalFilter;
  readonly includePayloads?: boolean | undefined;
}

/** Lists the journal; a journal that exists but cannot be read is a TelemError (system). */
export async function listJournal(options: ListJournalOptions): Promise<JournalListing> {
  const { root, policy } = options;
  const file = underRoot(root, policy.retention.journal);
  let contents;
  try {
    contents = await readJournal({ file, last: policy.retention.journal_entries });
  } catch (error) {
    throw new TelemError('system', `cannot read the journal ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const entries = contents.entries.filter((entry) => matchesJournalFilter(entry, options.filter));
  const payloadDir = underRoot(root, policy.retention.payload_dir);
  const payloads = options.includePayloads ? await Promise.all(entries.map((entry) => readRetainedPayload(payloadDir, entry.recordId))) : null;
  // Only delivered records have their payload retained; a missing one is worth a note only for those.
  const delivered = entries.flatMap((entry, index) => (entry.outcome === 'delivered' || entry.outcome === null ? [index] : []));
  return {
    file,
    entries,
    payloads,
    problems: contents.problems,
    missing: contents.missing,
    delivered: payloads === null ? 0 : delivered.length,
    notRetained: payloads === null ? 0 : delivered.filter((index) => payloads[index] === null).length,
  };
}
