/**
 * A ProbeClock whose time moves only when the test says: timers fire in `advance` (or
 * `advanceSettled`), in order of their due time, each with the clock set to that time; never by
 * themselves, and nothing waits in real time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ProbeClock } from '../../engine/probes/probe.js';

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Turns of the event loop given to the work of a fired timer (async functions, fs calls on the thread pool). */
const SETTLE_TURNS = 20;

export class VirtualClock implements ProbeClock {
  #now: number;
  #order = 0;
  readonly #timers = new Set<Timer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): { cancel(): void } {
    const timer = { due: this.#now + Math.max(0, ms), order: this.#order++, callback };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  /** The delays of the timers not yet fired, from now, shortest first. */
  pending(): number[] {
    return [...this.#timers].map((timer) => timer.due - this.#now).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, firing every timer that falls due, in order, synchronously. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#next(until); next; next = this.#next(until)) this.#fire(next);
    this.#now = until;
  }

  /** Like advance, but lets the work each timer starts run (promises, quick file operations) before the next one fires. */
  async advanceSettled(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (let next = this.#next(until); next; next = this.#next(until)) {
      this.#fire(next);
      await settle();
    }
    this.#now = until;
  }

  #next(until: number): Timer | undefined {
    return [...this.#timers].filter((timer) => timer.due <= until).sort((a, b) => a.due - b.due || a.order - b.order)[0];
  }

  #fire(timer: Timer): void {
    this.#timers.delete(timer);
    this.#now = timer.due;
    timer.callback();
  }
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < SETTLE_TURNS; turn += 1) await nextTurn();
}
