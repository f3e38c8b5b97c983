/** At most `limit` holders at once; the rest wait in arrival order. */
export interface ConcurrencyGate {
  acquire(): Promise<void>;
  release(): void;
  /** Holders right now (for tests and metrics). */
  readonly active: number;
}

export function createConcurrencyGate(limit: number): ConcurrencyGate {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    get active() {
      return active;
    },
    acquire() {
      if (active < limit) {
        active += 1;
        return Promise.resolve();
      }
      // The releasing holder hands its slot straight to the next waiter, so `active` never dips.
      return new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    },
  };
}
