/**
 * The exclusive lock an agent holds on its spool directory (and the collector on its SQLite file)
 * for as long as it runs: a second agent started on the same root by mistake must refuse before
 * it recovers, delivers or deletes anything of the running one's. flock: the kernel releases it
 * when the holder dies, kill -9 included, so a lock is never stale.
 *
 * Within one process the lock is shared and counted, so `telem dev` can take it before it writes
 * the policy its agent will read, and the agent it starts takes the same lock again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TelemError } from '../errors/telem-error.js';
import { describeLockHolder, type FileLock, tryLockFile } from '../native/file-lock.js';

export interface HeldLock {
  readonly file: string;
  /** Null when the lock could not be taken because the place cannot be written (nothing can be changed there either). */
  readonly unlockedReason: string | null;
  release(): void;
}

const held = new Map<string, { lock: FileLock | null; unlockedReason: string | null; count: number }>();

/**
 * Takes the lock file `file` for `what` (e.g. "the spool /var/spool/telemetry"), creating its
 * directory when needed. Throws a TelemError (locked) naming the holder when another process holds it.
 */
export function takeLock(file: string, what: string): HeldLock {
  const key = path.resolve(file);
  let entry = held.get(key);
  if (!entry) {
    let lock: FileLock | null;
    let unlockedReason: string | null = null;
    try {
      fs.mkdirSync(path.dirname(key), { recursive: true, mode: 0o700 });
      lock = tryLockFile(key);
    } catch (error) {
      // A read-only or missing place: there is nothing another agent could damage, and the agent
      // still starts (and drops records as unwritable) as it would without the lock.
      lock = null;
      unlockedReason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    if (lock === null && unlockedReason === null) throw new TelemError('locked', `${what} is in use by another telem process (${describeLockHolder(key)})`);
    entry = { lock, unlockedReason, count: 0 };
    held.set(key, entry);
  }
  entry.count += 1;
  const taken = entry;
  let released = false;
  return {
    file: key,
    unlockedReason: taken.unlockedReason,
    release() {
      if (released) return;
      released = true;
      taken.count -= 1;
      if (taken.count > 0) return;
      held.delete(key);
      taken.lock?.release();
    },
  };
}

/** The lock file of a spool directory. */
export function spoolLockFile(dir: string): string {
  return path.join(dir, '.lock');
}
