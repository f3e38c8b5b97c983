/**
 * The main thread's side of the SQLite writer thread (sqlite-write-worker.ts): calls go to it as
 * messages and come back as promises. If the thread dies (a crash in native code, out of memory,
 * terminated), every call in flight fails with WriterLostError (ingest answers those 503, so the
 * client keeps its records and sends them again: a COMMIT that finished before the death makes
 * them duplicates, never losses) and the next call starts a new thread on the same file.
 */
import { Worker } from 'node:worker_threads';
import type { WriteCall, WriteReply, WriteRequest, WriterReady } from './sqlite-write-worker.js';
import type { AppliedMigration } from './store.js';

const WORKER_URL = new URL('./sqlite-write-worker.js', import.meta.url);

/** The code of WriterLostError; storage/unavailable.ts counts it as the database being unreachable. */
export const WRITER_LOST = 'TELEM_SQLITE_WRITER_LOST';

export class WriterLostError extends Error {
  readonly code = WRITER_LOST;
}

interface Call {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Thread {
  readonly worker: Worker;
  readonly ready: Promise<void>;
}

export class WriteThread {
  readonly #file: string;
  readonly #calls = new Map<number, Call>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #thread: Thread | null = null;
  #nextId = 0;
  #closed = false;

  constructor(file: string) {
    this.#file = file;
  }

  /** The migrations the first thread applied when it opened the file. */
  #migrations: readonly AppliedMigration[] = [];

  /** Starts the thread and waits until the file is open and migrated (rejects with why not); the migrations it applied. */
  async start(): Promise<readonly AppliedMigration[]> {
    await this.#current().ready;
    return this.#migrations;
  }

  async call<T>(call: WriteCall): Promise<T> {
    if (this.#closed) throw new Error('the collector is closing');
    const thread = this.#current();
    await thread.ready;
    return this.#send<T>(thread, call);
  }

  #send<T>(thread: Thread, call: WriteCall): Promise<T> {
    const answer = new Promise<T>((resolve, reject) => {
      const id = (this.#nextId += 1);
      this.#calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.worker.postMessage({ id, call } satisfies WriteRequest);
    });
    this.#inFlight.add(answer);
    const settled = () => void this.#inFlight.delete(answer);
    answer.then(settled, settled);
    return answer;
  }

  /** Calls sent to the thread and not answered yet. */
  get inFlight(): number {
    return this.#calls.size;
  }

  /** Ends the thread (a test's stand-in for a crash): the calls in flight fail, the next call starts another. */
  async terminate(): Promise<void> {
    await this.#thread?.worker.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#inFlight);
    const thread = this.#thread;
    if (!thread) return;
    // Closed by the thread itself first, so the WAL is checkpointed and the connection ends cleanly.
    try {
      await thread.ready;
      await this.#send(thread, { op: 'close', args: [] });
    } catch {
      // A thread that never started or already died has nothing to close.
    }
    await thread.worker.terminate();
  }

  #current(): Thread {
    if (this.#thread) return this.#thread;
    const worker = new Worker(WORKER_URL, { workerData: { file: this.#file } });
    let started = false;
    const lost = (reason: string) => {
      if (this.#thread?.worker !== worker) return;
      this.#thread = null;
      const error = new WriterLostError(`the SQLite writer thread stopped (${reason}); what it was writing is answered 503 and a new thread takes over`);
      for (const call of this.#calls.values()) call.reject(error);
      this.#calls.clear();
      return error;
    };
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (message: WriterReady) => {
        started = true;
        if (message.ready) {
          this.#migrations = message.migrations;
          return resolve();
        }
        reject(new Error(message.message));
        lost('it could not open the database');
        void worker.terminate();
      });
      worker.on('error', (error) => {
        const lostError = lost(error.message);
        if (!started) reject(lostError ?? error);
      });
      worker.on('exit', (code) => {
        const lostError = lost(`exit code ${code}`);
        if (!started) reject(lostError ?? new Error(`the SQLite writer thread stopped (exit code ${code})`));
      });
    });
    // Replies after the first message: each answers the call with its id.
    ready.then(
      () =>
        worker.on('message', (reply: WriteReply) => {
          const call = this.#calls.get(reply.id);
          if (!call) return;
          this.#calls.delete(reply.id);
          if (reply.ok) return call.resolve(reply.value);
          const error = new Error(reply.message) as Error & { code?: string };
          if (reply.code !== undefined) error.code = reply.code;
          call.reject(error);
        }),
      () => undefined,
    );
    this.#thread = { worker, ready };
    return this.#thread;
  }
}
