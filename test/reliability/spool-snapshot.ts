/**
 * Reads an agent's spool directory the way the agent's recovery does (engine/spool/entry.ts), to
 * learn which records the agent had made durable at the moment it was killed.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeSegment } from '../../engine/spool/entry.js';

export interface SpoolSnapshot {
  /** Payloads (UTF-8) of every intact entry, in segment and file order. */
  readonly payloads: string[];
  /** Bytes of torn tails (a write the kill interrupted), summed over segments. */
  readonly tornBytes: number;
  readonly segments: number;
}

export async function readSpoolSnapshot(dir: string): Promise<SpoolSnapshot> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.seg')).sort();
  const payloads: string[] = [];
  let tornBytes = 0;
  for (const name of names) {
    const decoded = decodeSegment(await readFile(path.join(dir, name)));
    tornBytes += decoded.discardedBytes;
    for (const { entry } of decoded.entries) payloads.push(entry.record.payload.toString('utf8'));
  }
  return { payloads, tornBytes, segments: names.length };
}
