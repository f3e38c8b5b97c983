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

  private constructor(options: { path: string; handle: fsp.FileHandle; durability: Durability; batchWindowMs: number; size: number }) {
    this.path = options.path;
    this.#handle = options.handle;
    this.#durability = options.durability;
    this.#batchWindowMs = options.batchWindowMs;
    this.#size = options.size;
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

  append(buffer: Buffer): Promise<void> {
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
      try {
        await this.#handle.writev(batch.map((pending) => pending.buffer));
        if (this.#durability !== 'none') await this.#handle.datasync();
        for (const pending of batch) pending.resolve();
      } catch (error) {
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
