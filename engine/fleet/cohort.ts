/**
 * Private, stable cohorts (after Firefox Nimbus: hashed on the client, salted per rollout). A
 * machine's bucket for a rollout comes from a random seed that never leaves it and is not the
 * (rotating) machine id, so the bucket is no fingerprint and the server never learns it; a new
 * rollout id draws an independent cohort; raising the percent only adds machines.
 */
import { createHash } from 'node:crypto';

/** Buckets run 0…9999: a percent with two decimals selects exactly. */
export const BUCKETS = 10_000;
const TWO_48 = 2 ** 48;

/** bucket = first 48 bits of sha256(JSON.stringify([seed, rolloutId])), scaled to 0…9999. */
export function cohortBucket(seed: string, rolloutId: string): number {
  const digest = createHash('sha256')
    .update(JSON.stringify([seed, rolloutId]))
    .digest();
  return Math.floor((digest.readUIntBE(0, 6) * BUCKETS) / TWO_48);
}

/** Whether a machine in `bucket` is among the `percent` (0…100) of the fleet. */
export function inCohort(bucket: number, percent: number): boolean {
  return bucket < percent * 100;
}
