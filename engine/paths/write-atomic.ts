/**
 * Replacing a small state file so that a reader (or a restart after kill -9) sees the old content
 * or the new, never half of either: write a temporary file beside it, then rename it over.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** fsync the content before the rename, so a power loss cannot leave an empty file (default true). */
  readonly sync?: boolean;
}

export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o644);
  try {
    fs.writeFileSync(fd, data);
    if (options.sync ?? true) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}
