/**
 * The pstore files already reported, kept in the probe's state directory when entries are not
 * deleted after reporting: each as its name and a digest of its content, so the same name with a
 * new dump in it (the kernel reuses dmesg-ramoops-0 once the old one is gone) is reported again.
 * Entries of files no longer there are dropped when the list is written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../paths/write-atomic.js';

export const REPORTED_FILE = 'reported.json';

export function readReported(stateDir: string): Set<string> {
  try {
    const value = JSON.parse(readFileSync(path.join(stateDir, REPORTED_FILE), 'utf8')) as { reported?: unknown };
    return new Set(Array.isArray(value.reported) ? value.reported.filter((key): key is string => typeof key === 'string') : []);
  } catch {
    return new Set();
  }
}

export function writeReported(stateDir: string, keys: Iterable<string>): void {
  writeFileAtomic(path.join(stateDir, REPORTED_FILE), `${JSON.stringify({ reported: [...keys].sort() }, null, 1)}\n`);
}
