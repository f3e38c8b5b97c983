/**
 * Reading a spool directory at open: every intact entry of every segment, minus the targets its
 * ack file settles, is pending again. A torn or corrupt tail is skipped and counted (it was never
 * acknowledged); a segment whose records are all settled is removed; a segment name that is not a
 * regular file is left alone and never read.
 */
import fs, { constants } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { type SpoolEntry, decodeSegment, targetKey } from './entry.js';
import { type Segment, ackPath, tryRemoveSegment } from './segment.js';

const SEGMENT_NAME = /^(\d{10})\.seg$/;

export interface RecoveredEntry {
  readonly entry: SpoolEntry;
  /** "route\u0000destination" pairs still to settle. */
  readonly pending: readonly string[];
}

/** A recovered record's place in its segment. */
export interface RecoveredOwner {
  readonly id: string;
  readonly segment: Segment;
  readonly size: number;
  readonly pending: readonly string[];
}

export interface RecoveredSegments {
  readonly entries: RecoveredEntry[];
  readonly owners: readonly RecoveredOwner[];
  /** Segments still holding unsettled records. */
  readonly kept: readonly Segment[];
  readonly discardedBytes: number;
  readonly skipped: readonly string[];
  /** The highest segment number found, 0 for none. */
  readonly lastSeq: number;
}

/** Never writes, except to remove segments that are wholly settled. */
export async function recoverSegments(dir: string): Promise<RecoveredSegments> {
  const listed = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const names = listed.filter((name) => SEGMENT_NAME.test(name)).sort();
  const entries: RecoveredEntry[] = [];
  const owners: RecoveredOwner[] = [];
  const kept: Segment[] = [];
  const skipped: string[] = [];
  let discardedBytes = 0;
  let lastSeq = 0;
  for (const name of names) {
    const seq = Number(name.slice(0, 10));
    lastSeq = Math.max(lastSeq, seq);
    const segment: Segment = { seq, dir, data: null, acks: null, unwrittenAcks: [], live: 0 };
    const contents = readRegularFile(path.join(dir, name));
    if (contents === null) {
      skipped.push(name);
      continue;
    }
    const decoded = decodeSegment(contents);
    discardedBytes += decoded.discardedBytes;
    const settled = readSettlements(ackPath(segment));
    for (const { entry, size } of decoded.entries) {
      const pending = entry.routes.flatMap((target) => target.to.map((destination) => targetKey(target.route, destination))).filter((key) => !settled.has(`${entry.id}\u0000${key}`));
      if (pending.length === 0) continue;
      entries.push({ entry, pending });
      owners.push({ id: entry.id, segment, size, pending });
      segment.live += 1;
    }
    // On a read-only filesystem a settled segment stays until a later start can remove it.
    if (segment.live === 0) tryRemoveSegment(segment);
    else kept.push(segment);
  }
  return { entries, owners, kept, discardedBytes, skipped, lastSeq };
}

/** Contents of a regular file, or null for anything else; symlinks are never followed. */
function readRegularFile(file: string): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' || (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd) : null;
  } finally {
    fs.closeSync(fd);
  }
}

function readSettlements(file: string): Set<string> {
  const contents = readRegularFile(file);
  return contents === null ? new Set() : parseSettlements(contents.toString('utf8'));
}

/** The settled "id\u0000route\u0000destination" keys of an ack file's text: complete lines only (a torn last line was never acknowledged). */
export function parseSettlements(text: string): Set<string> {
  const settled = new Set<string>();
  // Empty lines separate (each line starts with a newline, so a torn line never swallows the next).
  const lines = text.split('\n');
  lines.pop();
  for (const line of lines) {
    const parts = line.split('\u0000');
    if (parts.length === 4 && /^[0-9a-f]{32}$/.test(parts[0] as string)) settled.add(parts.slice(0, 3).join('\u0000'));
  }
  return settled;
}
