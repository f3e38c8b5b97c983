/**
 * Rate-limited logging of intake refusals. Under attack every refused connection used to write
 * a warn line (55 MB of log in 40 s); this logs the first refusal of each reason at once, then at
 * most one summary line per reason per interval with the count refused since the last line,
 * and a last summary on close(). Counters (engine/intake/stats.ts) still count every refusal.
 */
import type { Logger } from '../log/logger.js';

export type RefusalLevel = 'warn' | 'error' | 'info';

export interface RefusalLogOptions {
  /** Any pino-compatible logger. */
  readonly logger: Pick<Logger, RefusalLevel>;
  /** Least time between two lines of one reason; default 10 s. */
  readonly intervalMs?: number | undefined;
  readonly level?: RefusalLevel;
  /** Message of a line about a single refusal; default "connection refused". */
  readonly message?: string;
  /** Message of a summary line; default "refused connections (rate-limited log)". */
  readonly summaryMessage?: string;
}

/** What a caller knows about one refusal: a human-readable detail and any other fields (uid, ...). */
export interface RefusalFields {
  readonly detail?: string;
  readonly [field: string]: unknown;
}

interface ReasonState {
  /** When the last line for this reason was written. */
  lastLineAt: number;
  /** Refusals since then, not yet in a line. */
  refused: number;
  lastDetail: string | undefined;
  timer: NodeJS.Timeout | null;
}

export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 10_000;

export class RefusalLog {
  readonly #logger: Pick<Logger, RefusalLevel>;
  readonly #intervalMs: number;
  readonly #level: RefusalLevel;
  readonly #message: string;
  readonly #summaryMessage: string;
  readonly #reasons = new Map<string, ReasonState>();
  #closed = false;

  constructor(options: RefusalLogOptions) {
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? DEFAULT_REFUSAL_LOG_INTERVAL_MS;
    this.#level = options.level ?? 'warn';
    this.#message = options.message ?? 'connection refused';
    this.#summaryMessage = options.summaryMessage ?? 'refused connections (rate-limited log)';
  }

  /** One refused connection: logged now if no line for `reason` was written within the interval, else counted for the next summary. */
  refuse(reason: string, fields: RefusalFields = {}): void {
    const now = Date.now();
    const state = this.#reasons.get(reason);
    if (this.#closed || !state || (state.refused === 0 && now - state.lastLineAt >= this.#intervalMs)) {
      this.#logger[this.#level]({ reason, ...fields }, this.#message);
      if (state) state.lastLineAt = now;
      else this.#reasons.set(reason, { lastLineAt: now, refused: 0, lastDetail: undefined, timer: null });
      return;
    }
    state.refused++;
    state.lastDetail = fields.detail;
    if (!state.timer) {
      state.timer = setTimeout(() => this.#summarise(reason, state), Math.max(0, state.lastLineAt + this.#intervalMs - now));
      state.timer.unref();
    }
  }

  /** Writes the summaries still pending and stops the timers; later refusals are logged one by one. */
  close(): void {
    this.#closed = true;
    for (const [reason, state] of this.#reasons) this.#summarise(reason, state);
  }

  #summarise(reason: string, state: ReasonState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
    if (state.refused === 0) return;
    const now = Date.now();
    const line: Record<string, unknown> = { reason, refused: state.refused, sinceMs: now - state.lastLineAt };
    if (state.lastDetail !== undefined) line.lastDetail = state.lastDetail;
    this.#logger[this.#level](line, this.#summaryMessage);
    state.lastLineAt = now;
    state.refused = 0;
    state.lastDetail = undefined;
  }
}
