/** Retry waits per destination: exponential from the first interval, capped, with jitter. */

export interface RetrySettings {
  readonly interval: number;
  readonly max_interval: number;
  readonly jitter: number;
}

/** Wait before attempt `failures + 1`, given `failures` consecutive failures (≥ 1). */
export function backoffDelay(settings: RetrySettings, failures: number, random: () => number = Math.random): number {
  const base = Math.min(settings.max_interval, settings.interval * 2 ** Math.max(0, failures - 1));
  const spread = base * settings.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
