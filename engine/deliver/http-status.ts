/** What an HTTP answer means for a record: stored, try again later, or never accepted. */
import type { DeliveryResult } from './destination.js';

/** Statuses outside 5xx that say "not now" rather than "never". */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 429]);

export interface StatusOptions {
  readonly status: number;
  readonly successStatus: readonly number[];
  /** Wait from the Retry-After header, when the server sent one. */
  readonly retryAfterMs?: number | undefined;
}

export function resultForStatus(options: StatusOptions): DeliveryResult {
  const { status, successStatus, retryAfterMs } = options;
  if (successStatus.includes(status)) return { outcome: 'delivered', status };
  const reason = `http_${status}`;
  if (status >= 400 && status < 500 && !TRANSIENT_CLIENT_ERRORS.has(status)) return { outcome: 'rejected', reason, status };
  // 5xx, 408, 429, and 2xx/3xx that are not a success (upstream keeps those in the spool too: 202 is retried).
  return retryAfterMs === undefined ? { outcome: 'retry', reason, status } : { outcome: 'retry', reason, status, retryAfterMs };
}
