/**
 * The contract between the delivery scheduler and a destination: hand over one record, learn
 * whether it is stored, must be retried, or will never be accepted.
 */
import type { TelemetryRecord } from '../record/fields.js';

export type DeliveryResult =
  /** The destination has the record; it may leave the spool (for this destination). */
  | { readonly outcome: 'delivered'; readonly status?: number }
  /** Try again later: 5xx, 408, 429, network errors, timeouts. `retryAfterMs` from Retry-After when given. */
  | { readonly outcome: 'retry'; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number; readonly answer?: string }
  /**
   * The destination refused the record (a 4xx other than 408/429: `status` set, `answer` the start of its
   * body), or it can never be sent at all (no `status`). What a refusal does is the destination's
   * `on_reject`: held back and retried until it expires, or journaled as rejected.
   */
  | { readonly outcome: 'rejected'; readonly reason: string; readonly status?: number; readonly answer?: string };

export interface DestinationClient {
  /** Destination name from the policy. */
  readonly name: string;
  /** Delivers one record; never throws for delivery problems (they are results). */
  deliver(record: TelemetryRecord): Promise<DeliveryResult>;
  /** Releases connections and file handles; in-flight deliveries settle first. */
  close(): Promise<void>;
}
