/**
 * setTimeout for any delay a policy can ask for. Node holds at most 2^31−1 ms (24.8 days) and turns
 * a longer delay into 1 ms, so a 30-day retry interval would spin; longer waits are chained.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
  /** Lets the process exit while only this timer is pending. */
  unref(): LongTimeout;
}

export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  const due = Date.now() + Math.max(0, delayMs);
  let timer: NodeJS.Timeout;
  let unref = false;
  const arm = (): void => {
    const remaining = due - Date.now();
    timer = remaining > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, remaining));
    if (unref) timer.unref();
  };
  arm();
  const handle: LongTimeout = {
    clear: () => clearTimeout(timer),
    unref() {
      unref = true;
      timer.unref();
      return handle;
    },
  };
  return handle;
}

/** A delay clamped into what one Node timer holds, for APIs that take a plain number (socket timeouts). */
export function timerDelay(delayMs: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, delayMs));
}
