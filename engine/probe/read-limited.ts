/** Reading a payload from a file or a pipe without holding more than the limit in memory. */
import type { FileHandle } from 'node:fs/promises';

export interface LimitedRead {
  /** At most limit + 1 bytes: enough to tell that the input is too large. */
  readonly bytes: Buffer;
  /** Every byte the source had, counted while draining it. */
  readonly total: number;
}

/** Reads a stream without keeping more than limit + 1 bytes, draining the rest so writers do not block. */
export async function readStreamLimited(stream: AsyncIterable<Buffer | string>, limit: number): Promise<LimitedRead> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (keptBytes <= limit) {
      const part = bytes.subarray(0, limit + 1 - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
  }
  return { bytes: Buffer.concat(kept), total };
}

export async function readFileLimited(handle: FileHandle, limit: number): Promise<LimitedRead> {
  return readStreamLimited(handle.createReadStream(), limit);
}
