/**
 * Gives memory back after a burst. A flood of records allocates and frees hundreds of thousands
 * of buffers through malloc; V8 frees them at its next full collection, but glibc keeps the freed
 * pages inside its heap (it returns only the top of it), so the agent's RSS stayed ~40 MiB above
 * what it holds, for good. After a full collection that comes once the agent has been quiet for a
 * while (V8's memory reducer runs one about half a minute after work stops), malloc_trim(0) hands
 * those pages back. Once per quiet spell: a busy agent never pays for it.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { nativeAddon } from '../native/addon.js';

/** No record for this long, and a full collection after it: the burst is over. */
const QUIET_MS = 5000;

export interface HeapTrimmer {
  /** Something was done (a record accepted): the next quiet spell trims again. */
  activity(): void;
  stop(): void;
}

export function trimHeapWhenQuiet(options: { logger: Logger; trim?: () => boolean; now?: () => number }): HeapTrimmer {
  const now = options.now ?? Date.now;
  const trim = options.trim ?? (() => nativeAddon().trimHeap());
  // Start-up garbage counts as a burst: the first quiet full collection trims too.
  let lastActivity = now();
  let trimmedSince = false;
  const observer = new PerformanceObserver((list) => {
    if (trimmedSince || now() - lastActivity < QUIET_MS) return;
    if (!list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
    trimmedSince = true;
    try {
      trim();
    } catch (error) {
      // No addon (a checkout where it was not built) or no glibc: memory stays as it is, nothing else changes.
      options.logger.debug({ err: error }, 'could not give freed memory back (malloc_trim)');
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    activity() {
      lastActivity = now();
      trimmedSince = false;
    },
    stop() {
      observer.disconnect();
    },
  };
}
