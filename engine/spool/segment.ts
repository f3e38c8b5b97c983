/** A segment of the spool: `<seq>.seg` holds its records, `<seq>.ack` their settlements. */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
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
  /** Read-only handle for reading records back (spool.read); opened on first use, closed with the last reader once retired. */
  reader: SegmentReader | null;
  /** Deleted (or about to be): never opened for reading again. */
  retired: boolean;
}

export interface SegmentReader {
  readonly handle: Promise<FileHandle>;
  /** Reads in progress: the handle is closed when the last one ends, if the segment is retired. */
  users: number;
}

export function newSegment(dir: string, seq: number): Segment {
  return { seq, dir, data: null, acks: null, unwrittenAcks: [], live: 0, reader: null, retired: false };
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
