/**
 * Reads a journal back, tolerating what a crash or an older writer leaves: upstream's 5-field
 * lines are entries without an outcome, damaged lines are reported (never thrown) and skipped.
 */
import { readFile } from 'node:fs/promises';
import { parseJournalLine, type JournalLine } from './line.js';

export interface JournalProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly message: string;
}

export interface JournalContents {
  readonly entries: readonly JournalLine[];
  readonly problems: readonly JournalProblem[];
  /** No journal file exists yet (nothing has been journaled). */
  readonly missing: boolean;
}

export interface ReadJournalOptions {
  readonly file: string;
  /** Only the last `last` lines are considered, as upstream's reader did (its RECORD_LIMIT). */
  readonly last?: number;
}

/** Reads the journal; a missing file is an empty journal, any other read error is thrown to the caller. */
export async function readJournal(options: ReadJournalOptions): Promise<JournalContents> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [], missing: true };
    throw error;
  }
  const lines = text.split('\n');
  // A complete file ends with a newline; a last line without one was cut short by a crash.
  const complete = lines.at(-1) === '';
  if (complete) lines.pop();
  const torn = complete ? -1 : lines.length - 1;
  const first = options.last === undefined ? 0 : Math.max(0, lines.length - options.last);
  const entries: JournalLine[] = [];
  const problems: JournalProblem[] = [];
  for (let index = first; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    if (index === torn) {
      problems.push({ line: index + 1, message: 'incomplete last line' });
      continue;
    }
    const parsed = parseJournalLine(line);
    if ('entry' in parsed) entries.push(parsed.entry);
    else problems.push({ line: index + 1, message: parsed.problem });
  }
  return { entries, problems, missing: false };
}
