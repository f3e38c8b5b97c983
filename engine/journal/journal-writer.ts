/**
 * Writes the journal: outcomes are queued and appended together a few ms later, or written at
 * once where a crash must not lose them (intake refusals, settlements before the spool settles
 * them); everything queued is written by close(). Lines are written synchronously, so writes and
 * pruning never interleave. The file stays bounded
 * like upstream's: past `journal_entries` + 50 % lines, the oldest are cut away (temp file + rename).
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import type { JournalEntry } from './entry.js';
import { formatJournalLine } from './line.js';
import { openPayloadStore, type PayloadStore } from './retained-payloads.js';

export interface JournalWriterOptions {
  /** Root the journal and payload paths resolve under. */
  readonly root: string;
  readonly retention: ResolvedPolicy['retention'];
  readonly logger?: Logger | undefined;
  /** How long an outcome may wait to be written with the ones after it (default 50 ms). */
  readonly batchDelayMs?: number;
}

export interface JournalWriter {
  /** The journal file, under the root. */
  readonly file: string;
  /** Queues one outcome; the payload of a delivered record is retained when keep_payloads > 0. */
  append(entry: JournalEntry, payload?: Buffer): void;
  /**
   * Writes one outcome (after those queued) before returning: for a record refused at intake, whose
   * probe learns nothing else, so a crash right after cannot leave it unjournaled.
   */
  appendNow(entry: JournalEntry): void;
  /**
   * Writes several outcomes (after those queued) in one write before returning; payloads of
   * delivered records are retained later, as for append. For settlements, written before the spool
   * settles them, so a crash in between sends a record again rather than settling it unjournaled.
   */
  appendAllNow(items: readonly { readonly entry: JournalEntry; readonly payload?: Buffer | undefined }[]): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Writes everything queued; later appends are ignored. */
  close(): Promise<void>;
}

interface Counted {
  lines: number;
  /** The last line has no newline (a crash mid-write): the next write starts a fresh line. */
  torn: boolean;
}

async function countLines(file: string): Promise<Counted> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  if (text === '') return { lines: 0, torn: false };
  const torn = !text.endsWith('\n');
  let lines = torn ? 1 : 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines += 1;
  return { lines, torn };
}

/**
 * Keeps the last `keep` lines: a synced temp file renamed over the journal, so a crash leaves one or the other.
 * Synchronous, like every journal write, so no line can be appended to the old file between the read and the rename.
 */
function pruneJournal(file: string, keep: number): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.slice(-keep);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.prune`);
  const fd = openSync(temporary, 'w', 0o640);
  try {
    writeFileSync(fd, kept.length > 0 ? `${kept.join('\n')}\n` : '');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  return kept.length;
}

export async function openJournalWriter(options: JournalWriterOptions): Promise<JournalWriter> {
  const logger = options.logger ?? silentLogger;
  const { journal_entries: limit, keep_payloads: keepPayloads } = options.retention;
  const file = underRoot(options.root, options.retention.journal);
  // Upstream's RECORD_LIMIT + DEVIATION: 100 lines kept, pruned once past 150.
  const pruneAbove = limit + Math.floor(limit / 2);
  const payloads: PayloadStore = await openPayloadStore({ dir: underRoot(options.root, options.retention.payload_dir), keep: keepPayloads });
  if (limit > 0) await mkdir(path.dirname(file), { recursive: true });
  const counted = limit > 0 ? await countLines(file) : { lines: 0, torn: false };

  let pendingLines: string[] = [];
  let pendingPayloads: { recordId: string; payload: Buffer }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  /** Appends lines (after any still queued) in one synchronous write, then prunes past the bound. */
  function writeLines(lines: readonly string[]): void {
    const all = [...pendingLines, ...lines];
    pendingLines = [];
    if (all.length === 0) return;
    try {
      appendFileSync(file, `${counted.torn ? '\n' : ''}${all.join('')}`, { mode: 0o640 });
      counted.torn = false;
      counted.lines += all.length;
    } catch (error) {
      // Keep them for the next write, but never more than the journal would hold anyway.
      pendingLines = all.slice(-pruneAbove);
      logger.warn({ file, err: error }, 'cannot write the journal; its lines wait for the next write');
      return;
    }
    if (counted.lines > pruneAbove) {
      try {
        counted.lines = pruneJournal(file, limit);
      } catch (error) {
        logger.warn({ file, err: error }, 'cannot prune the journal');
      }
    }
  }

  async function writePayloads(batch: { recordId: string; payload: Buffer }[]): Promise<void> {
    for (const { recordId, payload } of batch) {
      try {
        await payloads.save(recordId, payload);
      } catch (error) {
        logger.warn({ dir: payloads.dir, recordId, err: error }, 'cannot retain a payload');
      }
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    writeLines([]);
    const retained = pendingPayloads;
    pendingPayloads = [];
    writing = writing.then(async () => {
      if (retained.length > 0) await writePayloads(retained);
    });
    return writing;
  }

  function appendAllNow(items: readonly { readonly entry: JournalEntry; readonly payload?: Buffer | undefined }[]): void {
    if (closed) {
      if (items.length > 0) logger.warn({ records: items.length }, 'journal closed: outcomes not written');
      return;
    }
    for (const { entry, payload } of items) if (payload && keepPayloads > 0 && entry.outcome === 'delivered') pendingPayloads.push({ recordId: entry.recordId, payload });
    if (limit > 0) writeLines(items.map(({ entry }) => formatJournalLine(entry)));
    timer ??= setTimeout(() => void flush(), options.batchDelayMs ?? 50).unref();
  }

  return {
    file,
    append(entry, payload) {
      if (closed) {
        logger.warn({ recordId: entry.recordId }, 'journal closed: outcome not written');
        return;
      }
      if (limit > 0) pendingLines.push(formatJournalLine(entry));
      if (payload && keepPayloads > 0 && entry.outcome === 'delivered') pendingPayloads.push({ recordId: entry.recordId, payload });
      // Unref'd: a pending batch never keeps a finished process alive; close() writes it.
      timer ??= setTimeout(() => void flush(), options.batchDelayMs ?? 50).unref();
    },
    appendNow(entry) {
      appendAllNow([{ entry }]);
    },
    appendAllNow,
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
