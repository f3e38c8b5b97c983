/** Intake counters: accepted records and one counter per rejection reason. */
import { FRAME_REJECT_REASONS } from '../record/frame.js';

export const REJECT_REASONS = [
  ...FRAME_REJECT_REASONS,
  /** The client connected and closed without sending a byte (also: liveness checks). */
  'empty',
  /** The client went silent for longer than intake.read_timeout, or took too long overall. */
  'timeout',
  /** The client did not send record_size within intake.first_byte_timeout of connecting. */
  'slow_start',
  /** That local user already had intake.max_connections_per_uid connections open or waiting. */
  'peer_limit',
  'connection_error',
  /** More clients than max_connections were already being served and the wait queue was full. */
  'overloaded',
  'not_opted_in',
  /** The next stage could not keep the record. */
  'sink_failed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface IntakeStats {
  readonly accepted: number;
  readonly rejected: Readonly<Record<RejectReason, number>>;
  /** Connections being read or waiting for their record to be kept. */
  readonly active: number;
  /** Connections accepted by the kernel and waiting for a free slot. */
  readonly waiting: number;
}

export function emptyRejectCounters(): Record<RejectReason, number> {
  return Object.fromEntries(REJECT_REASONS.map((reason) => [reason, 0])) as Record<RejectReason, number>;
}

export function totalRejected(stats: IntakeStats): number {
  return Object.values(stats.rejected).reduce((sum, count) => sum + count, 0);
}
