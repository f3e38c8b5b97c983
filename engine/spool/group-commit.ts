/**
 * An append-only file written in two steps. `append` writes the bytes at once, synchronously: once
 * it returns they are in the page cache, so a crash of this process loses nothing appended. `sync`
 * resolves once everything appended before it is on disk; syncs requested while one is pending
 * share it (group commit: one fdatasync covers many records), which is what protects against a
 * power loss.
 *   fsync — sync as soon as possible;
 *   batch — wait up to `batchWindowMs` for more appends, then one sync for all;
 *   none  — never sync (the page cache decides).
 */
import fs, { constants } from 'node:fs';
import { promisify } from 'node:util';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';

export type Durability = 'fsync' | 'batch' | 'none';

export interface GroupCommitOptions {
  readonly path: string;
  readonly durability: Durability;
  readonly batchWindowMs: number;
  /** A failed fdatasync: the bytes are still readable here but may not survive a power loss. */
  readonly onSyncError?: (error: Error) => void;
}

// O_NOFOLLOW: a symlink planted where a spool file should be is refused, not followed.
const APPEND_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;
const fdatasync = promisify(fs.fdatasync);

export class GroupCommitFile {
  readonly path: string;
  readonly #options: GroupCommitOptions;
  #fd: number | null;
  /** Bytes in the file, all of them whole appends (a failed append is cut back). */
  #size: number;
  /** Set when a failed write could not be cut back: the file's tail is torn and it takes no more appends. */
  #broken: Error | null = null;
  /** Waiting for the next sync. */
  #waiting: (() => void)[] = [];
  #timer: LongTimeout | NodeJS.Immediate | null = null;
  #syncing: Promise<void> | null = null;

  private constructor(options: GroupCommitOptions, fd: number, size: number) {
    this.path = options.path;
    this.#options = options;
    this.#fd = fd;
    this.#size = size;
  }

  /** Opens (creating with mode 0600) the file for appending; throws the filesystem's error. */
  static open(options: GroupCommitOptions): GroupCommitFile {
    const fd = fs.openSync(options.path, APPEND_FLAGS, 0o600);
    try {
      return new GroupCommitFile(options, fd, fs.fstatSync(fd).size);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  get size(): number {
    return this.#size;
  }

  /** A write failed and its partial bytes could not be removed: append to another file. */
  get broken(): boolean {
    return this.#broken !== null;
  }

  /**
   * Writes the bytes now. Throws when they cannot all be written (a full disk cuts a write short):
   * the file is then cut back to where it was, so the next append does not follow a torn frame
   * that recovery, which stops at the first bad frame, would never get past.
   */
  append(buffer: Buffer): void {
    if (this.#broken) throw this.#broken;
    if (this.#fd === null) throw Object.assign(new Error(`${this.path} is closed`), { code: 'ERR_CLOSED' });
    try {
      writeAll(this.#fd, buffer);
    } catch (error) {
      try {
        fs.ftruncateSync(this.#fd, this.#size);
      } catch (failure) {
        this.#broken = failure as Error;
      }
      throw error;
    }
    this.#size += buffer.length;
  }

  /** Resolves once everything appended so far is on disk (at once with durability "none"). */
  sync(): Promise<void> {
    if (this.#options.durability === 'none' || this.#fd === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#syncing || this.#timer) return;
    if (this.#options.durability === 'batch') this.#timer = setLongTimeout(() => this.#flush(), this.#options.batchWindowMs);
    else this.#timer = setImmediate(() => this.#flush());
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    if ('clear' in this.#timer) this.#timer.clear();
    else clearImmediate(this.#timer);
    this.#timer = null;
  }

  #flush(): void {
    this.#clearTimer();
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length === 0 || this.#fd === null) {
      for (const resolve of batch) resolve();
      return;
    }
    const fd = this.#fd;
    this.#syncing = fdatasync(fd)
      .catch((error: Error) => this.#options.onSyncError?.(error))
      .finally(() => {
        for (const resolve of batch) resolve();
        this.#syncing = null;
        if (this.#waiting.length > 0) this.#schedule();
      });
  }

  /** Syncs what is waiting for a sync, then closes the file. */
  async close(): Promise<void> {
    if (this.#fd === null) return;
    if (this.#waiting.length > 0 && this.#syncing === null) this.#flush();
    while (this.#syncing !== null) {
      await this.#syncing;
      if (this.#waiting.length > 0 && this.#syncing === null) this.#flush();
    }
    this.#clearTimer();
    const fd = this.#fd;
    this.#fd = null;
    fs.closeSync(fd);
  }
}

/**
 * write(2) may take only part of the buffer (a disk filling up returns a short count, not an
 * error); the rest is written until everything is out or a write fails.
 */
function writeAll(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) {
    const written = fs.writeSync(fd, buffer, offset, buffer.length - offset);
    if (written === 0) throw Object.assign(new Error('the file took no bytes (no space left?)'), { code: 'ENOSPC' });
    offset += written;
  }
}
