/** A ProbeClock whose time moves only when the test says: timers fire in `advance`, never by themselves. */
import type { ProbeClock } from '../../engine/probes/probe.js';

interface Timer {
  readonly due: number;
  readonly callback: () => void;
}

export class VirtualClock implements ProbeClock {
  #now = 1_700_000_000_000;
  readonly #timers = new Set<Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): { cancel(): void } {
    const timer = { due: this.#now + ms, callback };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  /** The delays of the timers not yet fired, from now, shortest first. */
  pending(): number[] {
    return [...this.#timers].map((timer) => timer.due - this.#now).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = [...this.#timers].filter((timer) => timer.due <= until).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = next.due;
      next.callback();
    }
    this.#now = until;
  }
}
