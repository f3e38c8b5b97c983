/**
 * Group commit for inserts: records submitted while a write is being prepared or is in flight
 * are written together in one transaction, so the cost of a commit (an fsync on SQLite, a
 * round trip on PostgreSQL) is shared. Each submitter still learns its own outcome. The records
 * of one submitAll (a batch request) are never split: they are stored in one transaction.
 */

interface Pending<T, R> {
  readonly items: readonly T[];
  resolve(results: R[]): void;
  reject(error: unknown): void;
}

export interface Batcher<T, R> {
  submit(item: T): Promise<R>;
  /** Writes `items` in one transaction (with others, up to maxBatch, or alone when they are more). */
  submitAll(items: readonly T[]): Promise<R[]>;
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

  /** Whole submissions from the head of the queue, up to maxBatch items (always at least one submission). */
  const take = (): Pending<T, R>[] => {
    let count = 0;
    let taken = 0;
    while (taken < queue.length && (taken === 0 || count + (queue[taken] as Pending<T, R>).items.length <= options.maxBatch)) {
      count += (queue[taken] as Pending<T, R>).items.length;
      taken += 1;
    }
    return queue.splice(0, taken);
  };

  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < options.maxInFlight) {
      const batch = take();
      inFlight += 1;
      options
        .write(batch.flatMap((pending) => pending.items))
        .then(
          (results) => {
            let offset = 0;
            for (const pending of batch) {
              pending.resolve(results.slice(offset, offset + pending.items.length));
              offset += pending.items.length;
            }
          },
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

  const submitAll = (items: readonly T[]) =>
    new Promise<R[]>((resolve, reject) => {
      if (items.length === 0) return resolve([]);
      queue.push({ items, resolve, reject });
      schedule();
    });

  return {
    submit: async (item) => (await submitAll([item]))[0] as R,
    submitAll,
    drain() {
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIdle();
      });
    },
  };
}
