/**
 * An append-only file where each append resolves only once its bytes are durable. Appends that
 * arrive while a sync is pending share it (group commit): one fdatasync covers many records.
 *   fsync — sync as soon as possible, every append waits for a sync covering it;
 *   batch — wait up to `batchWindowMs` for more appends, then one sync for all;
 *   none  — write without syncing (the page cache decides).
 */
import { constants, type promises as fsp } from 'node:fs';
import { open } from 'node:fs/promises';

export type Durability = 'fsync' | 'batch' | 'none';

interface Pending {
  readonly buffer: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

// O_NOFOLLOW: a symlink planted where a spool file should be is refused, not followed.
const APPEND_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;

export class GroupCommitFile {
  readonly path: string;
  #handle: fsp.FileHandle;
  readonly #durability: Durability;
  readonly #batchWindowMs: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #size: number;
  /** Bytes known to be whole in the file: where a failed write is cut back to. */
  #committed: number;
  /** Set when a failed write could not be cut back: the file's tail is torn and it takes no more appends. */
  #broken: Error | null = null;

  private constructor(options: { path: string; handle: fsp.FileHandle; durability: Durability; batchWindowMs: number; size: number }) {
    this.path = options.path;
    this.#handle = options.handle;
    this.#durability = options.durability;
    this.#batchWindowMs = options.batchWindowMs;
    this.#size = options.size;
    this.#committed = options.size;
  }

  static async open(options: { path: string; durability: Durability; batchWindowMs: number }): Promise<GroupCommitFile> {
    const handle = await open(options.path, APPEND_FLAGS, 0o600);
    const { size } = await handle.stat();
    return new GroupCommitFile({ ...options, handle, size });
  }

  /** Bytes written or queued so far. */
  get size(): number {
    return this.#size;
  }

  /** A write failed and its partial bytes could not be removed: append to another file. */
  get broken(): boolean {
    return this.#broken !== null;
  }

  append(buffer: Buffer): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    this.#size += buffer.length;
    return new Promise((resolve, reject) => {
      this.#queue.push({ buffer, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#flushing || this.#timer) return;
    if (this.#durability === 'batch') this.#timer = setTimeout(() => this.#flush(), this.#batchWindowMs);
    else this.#timer = setImmediate(() => this.#flush()) as unknown as NodeJS.Timeout;
  }

  #flush(): void {
    this.#timer = null;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#flushing = (async () => {
      const bytes = batch.reduce((total, pending) => total + pending.buffer.length, 0);
      try {
        if (this.#broken) throw this.#broken;
        await writeAll(this.#handle, batch.map((pending) => pending.buffer));
        if (this.#durability !== 'none') await this.#handle.datasync();
        this.#committed += bytes;
        for (const pending of batch) pending.resolve();
      } catch (error) {
        this.#size -= bytes;
        // A full disk cuts a write short: cut the file back, or the next appends would follow a
        // torn frame and a recovery (which stops at the first bad frame) would never reach them.
        await this.#handle.truncate(this.#committed).then(
          () => {
            this.#broken = null;
          },
          (failure: Error) => {
            this.#broken = failure;
          },
        );
        for (const pending of batch) pending.reject(error as Error);
      }
    })().finally(() => {
      this.#flushing = null;
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  /** Waits for everything queued to be written, then closes the file. */
  async close(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      clearImmediate(this.#timer as unknown as NodeJS.Immediate);
      this.#flush();
    }
    while (this.#flushing) await this.#flushing;
    if (this.#queue.length > 0) {
      this.#flush();
      while (this.#flushing) await this.#flushing;
    }
    await this.#handle.close();
  }
}

/**
 * writev may write only part of the buffers (a disk filling up returns a short count, not an
 * error); the rest is written until everything is out or a write fails.
 */
async function writeAll(handle: fsp.FileHandle, buffers: Buffer[]): Promise<void> {
  let remaining = buffers;
  while (remaining.length > 0) {
    const { bytesWritten } = await handle.writev(remaining);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of remaining) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    if (bytesWritten === 0 && rest.length > 0) throw Object.assign(new Error('the file took no bytes (no space left?)'), { code: 'ENOSPC' });
    remaining = rest;
  }
}
