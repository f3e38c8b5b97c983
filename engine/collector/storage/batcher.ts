/**
 * Group commit for inserts: records submitted while a write is being prepared or is in flight
 * are written together in one transaction, so the cost of a commit (an fsync on SQLite, a
 * round trip on PostgreSQL) is shared. Each submitter still learns its own outcome.
 */

interface Pending<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export interface Batcher<T, R> {
  submit(item: T): Promise<R>;
  /** Resolves once everything submitted so far is written. */
  drain(): Promise<void>;
}

export function createBatcher<T, R>(options: {
  /** Writes a batch; results in input order. */
  readonly write: (items: T[]) => Promise<R[]>;
  readonly maxBatch: number;
  /** Batches written at the same time (1 for SQLite, the pool size for PostgreSQL). */
  readonly maxInFlight: number;
}): Batcher<T, R> {
  const queue: Pending<T, R>[] = [];
  let inFlight = 0;
  let scheduled = false;
  let idle: (() => void)[] = [];

  const settleIdle = () => {
    if (queue.length === 0 && inFlight === 0) {
      for (const resolve of idle) resolve();
      idle = [];
    }
  };

  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < options.maxInFlight) {
      const batch = queue.splice(0, options.maxBatch);
      inFlight += 1;
      options
        .write(batch.map((pending) => pending.item))
        .then(
          (results) => batch.forEach((pending, index) => pending.resolve(results[index] as R)),
          (error: unknown) => batch.forEach((pending) => pending.reject(error)),
        )
        .finally(() => {
          inFlight -= 1;
          if (queue.length > 0) schedule();
          settleIdle();
        });
    }
  };

  // setImmediate lets every request parsed in this turn of the event loop join the batch.
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    drain() {
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIdle();
      });
    },
  };
}
