/**
 * Per-route rate limiting on records and real bytes. `check` says whether a record may go now
 * and, if not, when it could; `consume` counts it once it goes.
 */
import type { LimiterSettings } from '../compile/runtime-plan.js';
import { SLOT_COUNT, slotsAllow, slotsRecord } from './minute-slots.js';

export type LimitCheck =
  | { readonly allowed: true }
  /** Not now; `retryAt` is the earliest time the window could allow it; `never` when the record alone exceeds the byte limit. */
  | { readonly allowed: false; readonly retryAt: number; readonly never: boolean };

export interface RateLimiter {
  check(bytes: number, now: number): LimitCheck;
  consume(bytes: number, now: number): void;
}

/** Exact sliding window: events older than the window no longer count. */
class SlidingLimiter implements RateLimiter {
  readonly #settings: LimiterSettings;
  readonly #times: number[] = [];
  readonly #sizes: number[] = [];
  #head = 0;

  constructor(settings: LimiterSettings) {
    this.#settings = settings;
  }

  #longestWindow(): number {
    return Math.max(this.#settings.records?.windowMs ?? 0, this.#settings.bytes?.windowMs ?? 0);
  }

  #expire(now: number): void {
    const horizon = now - this.#longestWindow();
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) <= horizon) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times.splice(0, this.#head);
      this.#sizes.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Counted events (records, bytes) within `windowMs` before now, and the time the oldest of them leaves. */
  #within(windowMs: number, now: number, need: (count: number, bytes: number) => boolean): number | null {
    let count = 0;
    let bytes = 0;
    for (let index = this.#head; index < this.#times.length; index += 1) {
      if ((this.#times[index] as number) > now - windowMs) {
        count += 1;
        bytes += this.#sizes[index] as number;
      }
    }
    if (need(count, bytes)) return null;
    // Walk from the oldest event in the window until dropping events makes room.
    for (let index = this.#head; index < this.#times.length; index += 1) {
      const time = this.#times[index] as number;
      if (time <= now - windowMs) continue;
      count -= 1;
      bytes -= this.#sizes[index] as number;
      if (need(count, bytes)) return time + windowMs;
    }
    return now + windowMs;
  }

  check(size: number, now: number): LimitCheck {
    this.#expire(now);
    const { records, bytes } = this.#settings;
    if (bytes && size > bytes.limit) return { allowed: false, retryAt: Infinity, never: true };
    let retryAt = 0;
    if (records) retryAt = Math.max(retryAt, this.#within(records.windowMs, now, (count) => count + 1 <= records.limit) ?? 0);
    if (bytes) retryAt = Math.max(retryAt, this.#within(bytes.windowMs, now, (_count, used) => used + size <= bytes.limit) ?? 0);
    return retryAt === 0 ? { allowed: true } : { allowed: false, retryAt, never: false };
  }

  consume(size: number, now: number): void {
    this.#times.push(now);
    this.#sizes.push(size);
  }
}

/** Upstream's per-minute slots, minute taken from local time as telempostd did. */
class MinuteSlotLimiter implements RateLimiter {
  readonly #settings: LimiterSettings;
  readonly #recordSlots = new Array<number>(SLOT_COUNT).fill(0);
  readonly #byteSlots = new Array<number>(SLOT_COUNT).fill(0);

  constructor(settings: LimiterSettings) {
    this.#settings = settings;
  }

  check(size: number, now: number): LimitCheck {
    const minute = new Date(now).getMinutes();
    const { records, bytes } = this.#settings;
    if (bytes && size > bytes.limit) return { allowed: false, retryAt: Infinity, never: true };
    const fits =
      (!records || slotsAllow({ slots: this.#recordSlots, minute, windowMinutes: records.windowMs / 60_000, limit: records.limit, increment: 1 })) &&
      (!bytes || slotsAllow({ slots: this.#byteSlots, minute, windowMinutes: bytes.windowMs / 60_000, limit: bytes.limit, increment: size }));
    // Slots only change on minute boundaries: try again at the next one.
    return fits ? { allowed: true } : { allowed: false, retryAt: (Math.floor(now / 60_000) + 1) * 60_000, never: false };
  }

  consume(size: number, now: number): void {
    const minute = new Date(now).getMinutes();
    const { records, bytes } = this.#settings;
    if (records) slotsRecord({ slots: this.#recordSlots, minute, windowMinutes: records.windowMs / 60_000, increment: 1 });
    if (bytes) slotsRecord({ slots: this.#byteSlots, minute, windowMinutes: bytes.windowMs / 60_000, increment: size });
  }
}

export function createLimiter(settings: LimiterSettings): RateLimiter {
  return settings.algorithm === 'minute-slots' ? new MinuteSlotLimiter(settings) : new SlidingLimiter(settings);
}
