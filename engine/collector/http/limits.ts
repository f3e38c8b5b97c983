/**
 * What one collector spends on its clients: the memory for request bodies being received (one
 * budget for every connection), and the warnings logged when a limit turns a client away (at most
 * one line per interval, carrying how many were turned away, so a flood cannot flood the log).
 */
import type { Logger } from '../../log/logger.js';

/** The memory request bodies may hold while they are received, summed over all connections. */
export class BodyMemory {
  #free: number;

  constructor(readonly total: number) {
    this.#free = total;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when that would go over it. */
  take(bytes: number): boolean {
    if (bytes > this.#free) return false;
    this.#free -= bytes;
    return true;
  }

  give(bytes: number): void {
    this.#free += bytes;
  }

  get used(): number {
    return this.total - this.#free;
  }
}

export interface CountedWarning {
  /** Counts one occurrence; logs at once when nothing was logged in the last interval. */
  note(): void;
  /** Logs what was counted since the last line (at close). */
  flush(): void;
}

/**
 * A warning logged at most once per interval: the first occurrence at once, the ones after it
 * counted and logged together when the interval ends. Every line says how many it stands for.
 */
export function countedWarning(options: { logger: Logger; message: string; fields: Record<string, unknown>; intervalMs?: number }): CountedWarning {
  const intervalMs = options.intervalMs ?? 10_000;
  let pending = 0;
  let timer: NodeJS.Timeout | null = null;
  const log = () => {
    if (pending === 0) return false;
    options.logger.warn({ ...options.fields, count: pending, interval_ms: intervalMs }, options.message);
    pending = 0;
    return true;
  };
  const tick = () => {
    timer = log() ? setTimeout(tick, intervalMs).unref() : null;
  };
  return {
    note() {
      pending += 1;
      if (timer === null) tick();
    },
    flush() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      log();
    },
  };
}
