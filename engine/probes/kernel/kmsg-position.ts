/**
 * Where the kernel probe stopped reading, kept in its state directory across restarts: the boot
 * it was reading, the source, and the sequence number of the last record fully dealt with (every
 * record up to it was no oops, or its oops is in the spool). Written atomically, so a kill -9 leaves
 * the old position or the new one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../paths/write-atomic.js';

export interface KmsgPosition {
  readonly bootId: string;
  /** The `source` setting it was read from: another source starts from its end, as a first start does. */
  readonly source: string;
  readonly seq: number;
}

export const POSITION_FILE = 'kmsg-position.json';

/** The position saved in `stateDir`, or undefined when there is none (or it is unreadable: then this is a first start). */
export function readPosition(stateDir: string): KmsgPosition | undefined {
  try {
    const value = JSON.parse(readFileSync(path.join(stateDir, POSITION_FILE), 'utf8')) as Partial<Record<keyof KmsgPosition, unknown>>;
    if (typeof value.bootId !== 'string' || typeof value.source !== 'string' || !Number.isSafeInteger(value.seq)) return undefined;
    return { bootId: value.bootId, source: value.source, seq: value.seq as number };
  } catch {
    return undefined;
  }
}

export function writePosition(stateDir: string, position: KmsgPosition): void {
  writeFileAtomic(path.join(stateDir, POSITION_FILE), `${JSON.stringify(position)}\n`);
}
