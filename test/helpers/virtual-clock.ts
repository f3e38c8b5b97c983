/**
 * A clock for probes (ProbeClock) whose time moves only when a test advances it: timers fire in
 * order of their due time, each with the clock set to that time, and the work a timer starts gets
 * to run (promises, quick file operations) before the next one fires. Nothing waits in real time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ProbeClock } from '../../engine/probes/probe.js';

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Turns of the event loop given to the work of a fired timer (async functions, fs calls on the thread pool). */
const SETTLE_TURNS = 20;

export class VirtualClock implements ProbeClock {
  #now: number;
  #order = 0;
  readonly #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): { cancel(): void } {
    const timer: Timer = { at: this.#now + Math.max(0, ms), order: this.#order++, callback, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Timers set and neither fired nor cancelled. */
  pending(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due by then (timers those set included). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((timer) => !timer.cancelled && timer.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (due === undefined) break;
      this.#timers.splice(this.#timers.indexOf(due), 1);
      this.#now = due.at;
      due.callback();
      await settle();
    }
    this.#now = end;
  }
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < SETTLE_TURNS; turn += 1) await nextTurn();
}
