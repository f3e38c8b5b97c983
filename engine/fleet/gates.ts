/**
 * The health gates a baking agent checks (docs/rollout.md), from its own counters since the bake
 * began: is the data still flowing, not dropped, not piling up in the spool, and is the agent not
 * crash-looping. Pure functions; the fleet client keeps the counters and acts on the result.
 */
import type { ManifestRollout } from './rollout.js';

/** Drops the policy itself decides: gated only when max_drops names them (the collector compares them across arms). */
export const POLICY_DROP_REASONS: ReadonlySet<string> = new Set(['no_route', 'denied', 'not_allowed', 'below_min_severity', 'not_opted_in', 'rate_limited']);

/** Delivery requests a bake makes before the failure ratio may fail it early (at the bake's end any number does). */
export const MIN_REQUESTS_BEFORE_END = 20;

/** What the agent counts that the gates read. */
export interface DataCounters {
  /** Records delivered. */
  readonly delivered: number;
  /** Delivery requests that failed (and will be retried or dropped). */
  readonly failed: number;
  /** Records dropped, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
}

export interface GateResult {
  readonly name: string;
  readonly value: number | null;
  readonly threshold: number | null;
}

export interface BakeMeasure extends DataCounters {
  /** Spool bytes now minus at the bake's begin. */
  readonly spoolGrowth: number;
  /** Starts of the agent during the bake (0 when it ran through). */
  readonly restarts: number;
  /** Whether the intake socket is listening. */
  readonly listening: boolean;
}

/** `now` minus `base`, plus what was counted before the last restart. */
export function countersSince(base: DataCounters, now: DataCounters, carried: DataCounters): DataCounters {
  const dropped: Record<string, number> = { ...carried.dropped };
  for (const [reason, count] of Object.entries(now.dropped)) {
    const delta = count - (base.dropped[reason] ?? 0);
    if (delta > 0) dropped[reason] = (dropped[reason] ?? 0) + delta;
  }
  return {
    delivered: carried.delivered + Math.max(0, now.delivered - base.delivered),
    failed: carried.failed + Math.max(0, now.failed - base.failed),
    dropped,
  };
}

/** failed / (delivered + failed); 0 without requests. */
export function failureRatio(counters: DataCounters): number {
  const requests = counters.delivered + counters.failed;
  return requests === 0 ? 0 : counters.failed / requests;
}

const rounded = (value: number) => Math.round(value * 10_000) / 10_000;

/** The first gate that fails for this measure, or null. `final` at the bake's end (the failure ratio then needs only one request). */
export function failedGate(gates: ManifestRollout['gates'], measure: BakeMeasure, final: boolean): GateResult | null {
  if (!measure.listening) return { name: 'intake', value: 0, threshold: 1 };
  if (measure.restarts > gates.max_restarts) return { name: 'restarts', value: measure.restarts, threshold: gates.max_restarts };
  const requests = measure.delivered + measure.failed;
  const ratio = failureRatio(measure);
  if (ratio > gates.max_delivery_failure_ratio && (requests >= MIN_REQUESTS_BEFORE_END || final)) {
    return { name: 'delivery_failure_ratio', value: rounded(ratio), threshold: gates.max_delivery_failure_ratio };
  }
  for (const [reason, count] of Object.entries(measure.dropped)) {
    const named = gates.max_drops[reason];
    if (named === undefined && POLICY_DROP_REASONS.has(reason)) continue;
    const threshold = named ?? gates.max_drops['*'] ?? 0;
    if (count > threshold) return { name: `drops.${reason}`, value: count, threshold };
  }
  if (measure.spoolGrowth > gates.max_spool_growth) return { name: 'spool_growth', value: measure.spoolGrowth, threshold: gates.max_spool_growth };
  return null;
}
