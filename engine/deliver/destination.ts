/**
 * The contract between the delivery scheduler and a destination: hand over one record, learn
 * whether it is stored, must be retried, or will never be accepted.
 */
import type { TelemetryRecord } from '../record/fields.js';

export type DeliveryResult =
  /** The destination has the record; it may leave the spool (for this destination). `duplicate`: it had it already (a batch sent again). */
  | { readonly outcome: 'delivered'; readonly status?: number; readonly duplicate?: boolean }
  /** Try again later: 5xx, 408, 429, network errors, timeouts. `retryAfterMs` from Retry-After when given. */
  | { readonly outcome: 'retry'; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number; readonly answer?: string }
  /**
   * The destination refused the record (a 4xx other than 408/429: `status` set, `answer` the start of its
   * body), or it can never be sent at all (no `status`). What a refusal does is the destination's
   * `on_reject`: held back and retried until it expires, or journaled as rejected.
   */
  | { readonly outcome: 'rejected'; readonly reason: string; readonly status?: number; readonly answer?: string };

/** A record in a batch, with the id the destination's receipt names it by (its spool id, the same on every retry). */
export interface BatchItem {
  readonly id: string;
  readonly record: TelemetryRecord;
}

export interface DestinationClient {
  /** Destination name from the policy. */
  readonly name: string;
  /** Delivers one record; never throws for delivery problems (they are results). */
  deliver(record: TelemetryRecord): Promise<DeliveryResult>;
  /**
   * Present when the destination takes several records in one request: one result per item, in
   * order (a request that failed as a whole gives every item its result). Never throws.
   */
  deliverBatch?(items: readonly BatchItem[]): Promise<DeliveryResult[]>;
  /** Releases connections and file handles; in-flight deliveries settle first. */
  close(): Promise<void>;
}
