/**
 * A seeded pseudo-random generator (mulberry32) for the reliability runs: the seed is printed, and
 * TELEM_RELIABILITY_SEED replays a run's random choices (kill points, payload sizes).
 */

export interface Prng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** TELEM_RELIABILITY_SEED when set, otherwise a fresh one (printed by the caller so a failure can be replayed). */
export function chooseSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.TELEM_RELIABILITY_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`TELEM_RELIABILITY_SEED should be a non-negative integer, got "${given}"`);
    return seed >>> 0;
  }
  return Math.floor(Math.random() * 0xffffffff) >>> 0;
}
