/**
 * The most a rate limit lets through in any hour. A sliding window of W admits at most L in any
 * span of W, so at most L × ceil(1h / W) in an hour, and a burst at the start of each window
 * reaches it. Upstream's minute slots count by clock minute, and an hour touches 61 of them.
 */
import type { LimiterSettings } from '../compile/runtime-plan.js';
import type { Rate } from '../../schemas/units.js';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

function perHour(rate: Rate, algorithm: LimiterSettings['algorithm']): number {
  if (algorithm === 'minute-slots') return rate.limit * Math.ceil(61 / Math.max(1, rate.windowMs / MINUTE_MS));
  return rate.limit * Math.ceil(HOUR_MS / rate.windowMs);
}

export interface HourlyBound {
  /** Null: no record limit, so no bound. */
  readonly records: number | null;
  /** Payload bytes; from the byte limit, else records × the largest payload collected; null when neither bounds it. */
  readonly bytes: number | null;
}

export function hourlyBound(limit: LimiterSettings | null, maxPayload: number): HourlyBound {
  const records = limit?.records ? perHour(limit.records, limit.algorithm) : null;
  const byLimit = limit?.bytes ? perHour(limit.bytes, limit.algorithm) : null;
  const byRecords = records === null ? null : records * maxPayload;
  const bytes = byLimit === null ? byRecords : byRecords === null ? byLimit : Math.min(byLimit, byRecords);
  return { records, bytes };
}

/** The bound of several routes feeding one destination: each has its own limiter, so they add up. */
export function sumBounds(bounds: readonly HourlyBound[]): HourlyBound {
  const add = (values: (number | null)[]) => (values.some((value) => value === null) ? null : (values as number[]).reduce((a, b) => a + b, 0));
  return { records: add(bounds.map((b) => b.records)), bytes: add(bounds.map((b) => b.bytes)) };
}
