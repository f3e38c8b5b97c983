/**
 * Writes the journal: outcomes are queued and appended together a few ms later, so a burst of
 * deliveries costs one write, and everything queued is written by close(). The file stays bounded
 * like upstream's: past `journal_entries` + 50 % lines, the oldest are cut away (temp file + rename).
 */
import { appendFileSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename } from 'node:fs/promises';
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

/** Keeps the last `keep` lines: a synced temp file renamed over the journal, so a crash leaves one or the other. */
async function pruneJournal(file: string, keep: number): Promise<number> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.slice(-keep);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.prune`);
  const handle = await open(temporary, 'w', 0o640);
  try {
    await handle.writeFile(kept.length > 0 ? `${kept.join('\n')}\n` : '');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
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

  async function writeLines(lines: string[]): Promise<void> {
    try {
      await appendFile(file, `${counted.torn ? '\n' : ''}${lines.join('')}`, { mode: 0o640 });
      counted.torn = false;
      counted.lines += lines.length;
    } catch (error) {
      // Keep them for the next write, but never more than the journal would hold anyway.
      pendingLines = [...lines, ...pendingLines].slice(-pruneAbove);
      logger.warn({ file, err: error }, 'cannot write the journal; its lines wait for the next write');
      return;
    }
    if (counted.lines > pruneAbove) {
      try {
        counted.lines = await pruneJournal(file, limit);
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
    writing = writing.then(async () => {
      const lines = pendingLines;
      const retained = pendingPayloads;
      pendingLines = [];
      pendingPayloads = [];
      if (lines.length > 0) await writeLines(lines);
      if (retained.length > 0) await writePayloads(retained);
    });
    return writing;
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
      if (closed || limit === 0) return;
      const lines = [...pendingLines, formatJournalLine(entry)];
      try {
        appendFileSync(file, `${counted.torn ? '\n' : ''}${lines.join('')}`, { mode: 0o640 });
        pendingLines = [];
        counted.torn = false;
        counted.lines += lines.length;
      } catch (error) {
        // As for a batched write: the lines wait for the next one.
        pendingLines = lines.slice(-pruneAbove);
        logger.warn({ file, err: error }, 'cannot write the journal; its lines wait for the next write');
      }
      timer ??= setTimeout(() => void flush(), options.batchDelayMs ?? 50).unref();
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
