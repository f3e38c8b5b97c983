/**
 * An exclusive lock on a file (flock LOCK_EX|LOCK_NB), held for as long as its descriptor is
 * open. The kernel drops it when the holder exits for any reason, kill -9 included, so a lock
 * is never stale; the holder's pid is written into the file only to tell others who holds it.
 *
 * Node opens every file with O_CLOEXEC, so processes the holder spawns do not inherit the lock.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { nativeAddon } from './addon.js';

export interface FileLock {
  readonly path: string;
  /** Empties the file and releases the lock; later calls do nothing. */
  release(): void;
}

const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * Takes the lock on `file` (created with mode 0600 if missing), or returns null at once when
 * another open file — another process, or another lock in this one — holds it. Throws when the
 * file cannot be opened (a symlink: ELOOP; a missing folder: ENOENT) or is not a regular file.
 */
export function tryLockFile(file: string): FileLock | null {
  const fd = openSync(file, OPEN_FLAGS, 0o600);
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`lock file ${file} is not a regular file`), { code: 'ENOTREG' });
    if (!nativeAddon().flock(fd, true, true)) {
      closeSync(fd);
      return null;
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch (error) {
    closeSync(fd); // also drops the lock if it was taken
    throw error;
  }
  let held = true;
  return {
    path: file,
    release(): void {
      if (!held) return;
      held = false;
      // Emptied while still held, so a process that takes it next never loses its own pid to us.
      ftruncateSync(fd, 0);
      nativeAddon().unlock(fd);
      closeSync(fd);
    },
  };
}

/** The pid the current holder wrote into `file`, or null when there is none to read. */
export function lockHolderPid(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const match = /^(\d+)\n/.exec(text);
  return match ? Number(match[1]) : null;
}

/** "held by pid 1234", or "held by another process" when the pid cannot be read. */
export function describeLockHolder(file: string): string {
  const pid = lockHolderPid(file);
  return pid === null ? 'held by another process' : `held by pid ${pid}`;
}
