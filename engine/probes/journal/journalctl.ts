/**
 * Reading the journal through systemd's journalctl (`--output=json`, one entry per line) instead
 * of a libsystemd binding: every distribution with journald ships it, and it reads every journal
 * file format journald writes. The lines are handed on one at a time and the next one is read only
 * when the last was handled, so a slow agent holds journalctl back instead of filling memory.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TelemError } from '../../errors/telem-error.js';
import { ENTRY_FIELDS, type JournalEntry, parseJournalLine } from './journal-entry.js';

export const JOURNALCTL = 'journalctl';

/** Where the entries come from: the machine's journal (under a root), or one saved file or directory. */
export type JournalSource = { readonly root: string } | { readonly file: string } | { readonly directory: string };

export interface JournalQuery {
  readonly source: JournalSource;
  /**
   * Only entries of this boot (32 hex digits). Given as a `_BOOT_ID=` match, not as --boot: with
   * --root, --directory or --file journalctl takes --boot for the newest boot in those files,
   * which is not the running one when the files come from elsewhere.
   */
  readonly bootId?: string | null | undefined;
  /** Options (--priority=…) and field matches, as entry-filter.ts makes them. */
  readonly selection?: { readonly options: readonly string[]; readonly matches: readonly string[] } | undefined;
  /** Only the entries after this cursor's entry. */
  readonly afterCursor?: string | undefined;
  /** Keep reading as entries are added (--follow); every entry after the position, not the last 10. */
  readonly follow?: boolean | undefined;
  /** Only the newest entries, this many. */
  readonly lines?: number | undefined;
}

function sourceArguments(source: JournalSource): string[] {
  if ('file' in source) return [`--file=${source.file}`];
  if ('directory' in source) return [`--directory=${source.directory}`];
  // --root reads ROOT/var/log/journal and ROOT/run/log/journal, as journalctl reads them under /.
  return source.root === '/' ? [] : [`--root=${source.root}`];
}

export function journalctlArguments(query: JournalQuery): string[] {
  // --all: without it journalctl prints a value longer than 4096 bytes as null.
  const args = ['--output=json', '--all', '--no-pager', '--quiet', `--output-fields=${ENTRY_FIELDS.join(',')}`, ...sourceArguments(query.source)];
  if (query.follow) args.push('--follow', '--no-tail');
  if (query.lines !== undefined) args.push(`--lines=${query.lines}`);
  // Not --after-cursor: journalctl (252) then moves two entries on from the cursor, taking the
  // cursor's own entry to be the first, and loses the first match when that entry does not match
  // (a cursor saved at the end of the journal, at an information entry). From --cursor on, the
  // cursor's entry is printed when it matches, and runJournalctl leaves it out.
  if (query.afterCursor !== undefined) args.push(`--cursor=${query.afterCursor}`);
  args.push(...(query.selection?.options ?? []), '--');
  if (query.bootId) args.push(`_BOOT_ID=${query.bootId}`);
  args.push(...(query.selection?.matches ?? []));
  return args;
}

/** How journalctl ended: its exit status (or the signal that ended it) and the last line it wrote to stderr. */
export interface JournalctlExit {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

export interface JournalctlProcess {
  /**
   * Resolves once journalctl has exited and each of its entries was handled; rejects with a
   * TelemError (program-missing) when there is no journalctl to run, or with what `onEntry` threw
   * (journalctl is ended then).
   */
  readonly finished: Promise<JournalctlExit>;
  /** Ends journalctl (SIGTERM); `finished` settles when it is gone. */
  stop(): void;
}

export interface JournalctlOptions {
  /** Environment journalctl runs in (and is looked up on PATH of); process.env by default. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export function missingJournalctl(cause: unknown): TelemError {
  return new TelemError('program-missing', 'cannot run journalctl: it is not installed or not on PATH, so the journal probe reads nothing', {
    hint: 'install systemd (it provides journalctl), or turn the probe off with collection.probes.journal.enabled: false',
    cause,
  });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop()?.trim() ?? '';
}

/** Runs journalctl for the query, handing `onEntry` each entry it prints, one after the other. */
export function runJournalctl(query: JournalQuery, onEntry: (entry: JournalEntry) => Promise<void> | void, options: JournalctlOptions = {}): JournalctlProcess {
  const child = spawn(JOURNALCTL, journalctlArguments(query), { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  let spawnError: Error | undefined;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  // 'close' comes after the streams ended, also when the program could not be started (after 'error').
  const closed = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (error) => (spawnError ??= error));
    child.on('close', (status, signal) => resolve({ status, signal }));
  });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGTERM');
  };
  const finished = (async (): Promise<JournalctlExit> => {
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        const entry = parseJournalLine(line);
        if (entry !== null && (query.afterCursor === undefined || entry.cursor !== query.afterCursor)) await onEntry(entry);
      }
    } catch (error) {
      stop();
      await closed;
      throw error;
    }
    const { status, signal } = await closed;
    if ((spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw missingJournalctl(spawnError);
    if (spawnError !== undefined) throw new TelemError('system', `cannot run journalctl: ${spawnError.message}`, { cause: spawnError });
    return { status, signal, stderr: lastLine(stderr) };
  })();
  return { finished, stop };
}

/** "exited with status 1: Failed to open files: …", for messages. */
export function describeExit(exit: JournalctlExit): string {
  const how = exit.status === null ? `was ended by ${exit.signal ?? 'a signal'}` : `exited with status ${exit.status}`;
  return exit.stderr === '' ? how : `${how}: ${exit.stderr}`;
}

/** Every entry journalctl prints for a query without --follow; a TelemError when it cannot run or fails. */
export async function readJournal(query: JournalQuery, options: JournalctlOptions = {}): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  const exit = await runJournalctl(query, (entry) => void entries.push(entry), options).finished;
  if (exit.status !== 0) throw new TelemError('system', `journalctl ${describeExit(exit)}`);
  return entries;
}
