/**
 * Reader threads for SQLite. better-sqlite3 runs a query to its end on the thread that asked,
 * so a query on the main thread stops ingest for as long as it runs; here every read runs on
 * one of a few workers instead, each with its own read-only connection. A query running
 * longer than the time budget has its worker ended (which aborts the statement the next time
 * it calls into JavaScript, such as the telem_glob function) and answers a QueryError; so does a
 * read arriving while too many are queued. A slot whose worker is being ended takes no work
 * until it is gone, so overrunning queries cannot pile up threads.
 */
import { Worker } from 'node:worker_threads';
import { queryBusy, queryTimeout } from './query-error.js';
import type { ReadCall, ReadOps } from './read-ops.js';
import type { ReadReply, ReadRequest } from './sqlite-read-worker.js';

export interface ReadPoolOptions {
  readonly file: string;
  readonly workers: number;
  /** Longest a query may run. */
  readonly timeoutMs: number;
  /** Reads waiting for a worker beyond which new ones are refused. */
  readonly maxQueued: number;
}

interface Job {
  readonly id: number;
  readonly call: ReadCall;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | null;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** The worker is being ended after an overrun; the slot is unusable until it is. */
  retiring: Promise<void> | null;
}

const WORKER_URL = new URL('./sqlite-read-worker.js', import.meta.url);

function replyError(reply: Extract<ReadReply, { ok: false }>): Error {
  const error = new Error(reply.message) as Error & { code?: string };
  if (reply.code !== undefined) error.code = reply.code;
  return error;
}

export class ReadPool {
  readonly #options: ReadPoolOptions;
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  #nextId = 0;
  #closed = false;

  constructor(options: ReadPoolOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: Math.max(1, options.workers) }, () => ({ worker: null, job: null, timer: null, retiring: null }));
  }

  run(call: ReadCall): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('the collector is closing'));
    if (this.#queue.length >= this.#options.maxQueued) return Promise.reject(queryBusy());
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: (this.#nextId += 1), call, resolve, reject });
      this.#dispatch();
    });
  }

  /** The store's reads, each run on a worker. */
  ops(): ReadOps {
    const run = <T>(call: ReadCall) => this.run(call) as Promise<T>;
    return {
      get: (id) => run({ op: 'get', args: [id] }),
      list: (query) => run({ op: 'list', args: [query] }),
      stats: (query) => run({ op: 'stats', args: [query] }),
      population: (query) => run({ op: 'population', args: [query] }),
      crashes: (filter, limit, hidden) => run({ op: 'crashes', args: [filter, limit, hidden] }),
      crashGroup: (query) => run({ op: 'crashGroup', args: [query] }),
      crashRules: () => run({ op: 'crashRules', args: [] }),
      fleet: (query) => run({ op: 'fleet', args: [query] }),
      rollouts: (query) => run({ op: 'rollouts', args: [query] }),
      control: (channel) => run({ op: 'control', args: [channel] }),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the collector is closing'));
    await Promise.all(
      this.#slots.map(async (slot) => {
        const { worker, job } = slot;
        this.#finish(slot);
        job?.reject(new Error('the collector is closing'));
        slot.worker = null;
        await Promise.all([worker?.terminate(), slot.retiring]);
      }),
    );
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.job || slot.retiring) continue;
      const job = this.#queue.shift() as Job;
      const worker = slot.worker ?? this.#spawn(slot);
      slot.job = job;
      slot.timer = setTimeout(() => this.#overrun(slot), this.#options.timeoutMs);
      worker.postMessage({ id: job.id, call: job.call } satisfies ReadRequest);
    }
  }

  #spawn(slot: Slot): Worker {
    const worker = new Worker(WORKER_URL, { workerData: { file: this.#options.file } });
    slot.worker = worker;
    worker.on('message', (reply: ReadReply) => {
      if (slot.worker !== worker || slot.job?.id !== reply.id) return;
      const job = this.#finish(slot);
      if (reply.ok) job?.resolve(reply.value);
      else job?.reject(replyError(reply));
      this.#dispatch();
    });
    // A worker that fails to start or dies takes only its current read with it.
    const lost = (error: Error) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      this.#finish(slot)?.reject(error);
      if (!this.#closed) this.#dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a reader thread stopped (exit code ${code})`)));
    return worker;
  }

  #overrun(slot: Slot): void {
    const worker = slot.worker;
    this.#finish(slot)?.reject(queryTimeout(this.#options.timeoutMs));
    slot.worker = null;
    slot.retiring = (worker?.terminate() ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
    void slot.retiring.then(() => {
      slot.retiring = null;
      if (!this.#closed) this.#dispatch();
    });
  }

  /** Takes the running job off the slot (and its timer). */
  #finish(slot: Slot): Job | null {
    const { job } = slot;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    return job;
  }
}
