/**
 * The counts a user must be able to trust across restarts: records dropped, by reason, and
 * connections the intake refused, by reason. Kept in /var/lib/telem/agent-counters.json (written
 * atomically, at most every `flushMs` after a change and at stop), so `telem status` and /metrics
 * show totals, not what happened since the last start. The journal has a line per drop too, but
 * it is pruned and refusals have no record to journal.
 */
import fs from 'node:fs';
import { silentLogger, type Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import { writeFileAtomic } from '../paths/write-atomic.js';

export const COUNTERS_FILE = '/var/lib/telem/agent-counters.json';

export interface CounterTotals {
  readonly drops: Readonly<Record<string, number>>;
  readonly refusals: Readonly<Record<string, number>>;
}

function readTotals(file: string, logger: Logger): { drops: Map<string, number>; refusals: Map<string, number> } {
  const empty = { drops: new Map<string, number>(), refusals: new Map<string, number>() };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return empty;
  }
  try {
    const value = JSON.parse(text) as Partial<Record<'drops' | 'refusals', Record<string, unknown>>>;
    const counts = (record: Record<string, unknown> | undefined) =>
      new Map(Object.entries(record ?? {}).filter((entry): entry is [string, number] => Number.isSafeInteger(entry[1]) && (entry[1] as number) >= 0));
    return { drops: counts(value.drops), refusals: counts(value.refusals) };
  } catch {
    logger.warn({ file }, 'the saved drop counters cannot be read; counting from zero (the journal still lists recent drops)');
    return empty;
  }
}

export class PersistentCounters {
  readonly file: string;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #drops: Map<string, number>;
  readonly #refusals: Map<string, number>;
  #timer: NodeJS.Timeout | null = null;
  #failing = false;

  constructor(options: { root: string; logger?: Logger; flushMs?: number }) {
    this.file = underRoot(options.root, COUNTERS_FILE);
    this.#logger = options.logger ?? silentLogger;
    this.#flushMs = options.flushMs ?? 100;
    const totals = readTotals(this.file, this.#logger);
    this.#drops = totals.drops;
    this.#refusals = totals.refusals;
  }

  addDrop(reason: string): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
    this.#changed();
  }

  addRefusal(reason: string): void {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
    this.#changed();
  }

  totals(): CounterTotals {
    return { drops: Object.fromEntries(this.#drops), refusals: Object.fromEntries(this.#refusals) };
  }

  #changed(): void {
    this.#timer ??= setTimeout(() => this.flush(), this.#flushMs).unref();
  }

  /** Writes the totals now (temp file, fsync, rename: a crash leaves the old totals or the new ones). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      writeFileAtomic(this.file, `${JSON.stringify(this.totals())}\n`);
      if (this.#failing) this.#logger.info({ file: this.file }, 'the drop counters can be saved again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#logger.warn({ file: this.file, err: error }, 'cannot save the drop counters; they are kept in memory and saved when possible');
      this.#failing = true;
      this.#timer = setTimeout(() => this.flush(), 5000).unref();
    }
  }

  close(): void {
    this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
