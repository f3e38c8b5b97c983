/** A segment of the spool: `<seq>.seg` holds its records, `<seq>.ack` their settlements. */
import fs from 'node:fs';
import path from 'node:path';
import type { GroupCommitFile } from './group-commit.js';

export interface Segment {
  readonly seq: number;
  readonly dir: string;
  data: GroupCommitFile | null;
  acks: GroupCommitFile | null;
  /** Ack lines the filesystem refused; written before the next one, or dropped with the segment. */
  unwrittenAcks: Buffer[];
  live: number;
}

export function segmentBase(segment: Segment): string {
  return path.join(segment.dir, String(segment.seq).padStart(10, '0'));
}

export function ackPath(segment: Segment): string {
  return `${segmentBase(segment)}.ack`;
}

/** On a read-only filesystem the files stay; the records in them are settled all the same. */
export function tryRemoveSegment(segment: Segment): void {
  try {
    fs.rmSync(`${segmentBase(segment)}.seg`, { force: true });
    fs.rmSync(ackPath(segment), { force: true });
  } catch {
    // A later start removes them (everything in them is settled or will be again).
  }
}
