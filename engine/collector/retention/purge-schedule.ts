/** Retention on a schedule: purge once at start, then every interval (upstream's purge never ran; see reference §3.3). */
import { type LongTimeout, setLongTimeout } from '../../time/long-timeout.js';
import type { Logger } from '../../log/logger.js';
import type { PurgePlan, RecordStore } from '../storage/store.js';

export interface PurgeSchedule {
  /** Runs a purge now (also what the timer calls); resolves to the number of records deleted. */
  runNow(): Promise<number>;
  /** Stops the timer and waits for a purge in progress. */
  stop(): Promise<void>;
}

export function schedulePurge(options: {
  readonly store: RecordStore;
  readonly plan: PurgePlan;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}): PurgeSchedule {
  const now = options.now ?? Date.now;
  let running: Promise<number> | null = null;
  const runNow = () => {
    running ??= options.store
      .purge(options.plan, now())
      .then((deleted) => {
        if (deleted > 0) options.logger.info({ deleted }, 'retention purged old records');
        return deleted;
      })
      .catch((error: unknown) => {
        options.logger.error({ err: error }, 'retention purge failed; retrying at the next interval');
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  // Chained timeouts: an interval of weeks is more than one Node timer holds. The schedule alone must not keep the process alive.
  let timer: LongTimeout;
  const schedule = (): void => {
    timer = setLongTimeout(() => {
      void runNow();
      schedule();
    }, options.intervalMs).unref();
  };
  schedule();
  void runNow();
  return {
    runNow,
    async stop() {
      timer.clear();
      await running;
    },
  };
}
