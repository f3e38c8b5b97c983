/**
 * What `telem status`, /status and /metrics say about one destination: is it working, since when
 * is it failing and why (with the server's answer), when is the next try, and how many records
 * wait or are held back because it refused them.
 */
import type { DeliveryResult } from '../deliver/destination.js';

export interface DestinationProblem {
  readonly reason: string;
  /** HTTP status, when the destination answered. */
  readonly status: number | null;
  /** The start of the destination's answer, when it sent one. */
  readonly answer: string | null;
  readonly at: string;
}

export interface DestinationHealth {
  /** ok; failing (deliveries fail and are retried); refusing (it answers 4xx, records held back); removed (not in the policy). */
  readonly state: 'ok' | 'failing' | 'refusing' | 'removed';
  readonly queued: number;
  /** Records it refused, kept and retried on their own backoff until they expire. */
  readonly held: number;
  readonly inFlight: number;
  /** Requests since the agent started: sent, delivered, failed (retried), refused. */
  readonly requests: {
    readonly sent: number;
    readonly delivered: number;
    readonly failed: number;
    readonly refused: number;
    readonly failedByReason: Readonly<Record<string, number>>;
    readonly refusedByStatus: Readonly<Record<string, number>>;
  };
  readonly lastSuccessAt: string | null;
  /** When the current run of failures began; null while deliveries succeed. */
  readonly failingSince: string | null;
  readonly lastError: DestinationProblem | null;
  readonly lastRefusal: DestinationProblem | null;
  readonly nextRetryAt: string | null;
}

type Problem = Exclude<DeliveryResult, { outcome: 'delivered' }>;

function problem(result: Problem, at: number): DestinationProblem {
  return { reason: result.reason, status: result.status ?? null, answer: result.answer ?? null, at: new Date(at).toISOString() };
}

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString());

export class DestinationHealthTracker {
  #sent = 0;
  #delivered = 0;
  #failed = 0;
  #refused = 0;
  #lastSuccessAt: number | null = null;
  #failingSince: number | null = null;
  #lastError: DestinationProblem | null = null;
  #lastRefusal: DestinationProblem | null = null;

  readonly #refusedByStatus = new Map<string, number>();
  readonly #failedByReason = new Map<string, number>();

  sent(): void {
    this.#sent += 1;
  }

  delivered(now: number): void {
    this.#delivered += 1;
    this.#lastSuccessAt = now;
    this.#failingSince = null;
  }

  failed(now: number, result: Problem): void {
    this.#failed += 1;
    this.#failingSince ??= now;
    this.#lastError = problem(result, now);
    this.#failedByReason.set(result.reason, (this.#failedByReason.get(result.reason) ?? 0) + 1);
  }

  rejected(now: number, result: Problem): void {
    this.#refused += 1;
    this.#lastRefusal = problem(result, now);
    const status = String(result.status ?? 'none');
    this.#refusedByStatus.set(status, (this.#refusedByStatus.get(status) ?? 0) + 1);
  }

  snapshot(queue: { queued: number; held: number; inFlight: number; nextRetryAt: number | null; known: boolean }): DestinationHealth {
    const state = !queue.known ? 'removed' : this.#failingSince !== null ? 'failing' : queue.held > 0 ? 'refusing' : 'ok';
    return {
      state,
      queued: queue.queued,
      held: queue.held,
      inFlight: queue.inFlight,
      requests: {
        sent: this.#sent,
        delivered: this.#delivered,
        failed: this.#failed,
        refused: this.#refused,
        failedByReason: Object.fromEntries(this.#failedByReason),
        refusedByStatus: Object.fromEntries(this.#refusedByStatus),
      },
      lastSuccessAt: iso(this.#lastSuccessAt),
      failingSince: iso(this.#failingSince),
      lastError: this.#lastError,
      lastRefusal: this.#lastRefusal,
      nextRetryAt: iso(queue.nextRetryAt),
    };
  }
}
