/**
 * Fixed seeds and bounded runs for every property test of the reliability suite, so CI runs the
 * same cases each time. TELEM_FUZZ_SEED / TELEM_FUZZ_RUNS_FACTOR explore further by hand.
 */
const base = Number(process.env.TELEM_FUZZ_SEED ?? 20_261_123);
const factor = Number(process.env.TELEM_FUZZ_RUNS_FACTOR ?? 1);

/** fast-check parameters for one property: a seed derived from its name, `runs` scaled by the factor. */
export function fuzzRuns(name: string, runs: number): { seed: number; numRuns: number } {
  let hash = base >>> 0;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 16_777_619) >>> 0;
  return { seed: hash | 0, numRuns: Math.max(1, Math.round(runs * factor)) };
}
