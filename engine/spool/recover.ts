/**
 * Reading a spool directory at open: every intact entry of every segment, minus the targets its
 * ack file settles, is pending again. A torn or corrupt tail is skipped and counted (it was never
 * acknowledged); a segment whose records are all settled is removed; a segment name that is not a
 * regular file is left alone and never read.
 */
import fs, { constants } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { type EntryMeta, FRAME_HEADER_BYTES, MAX_FRAME_BYTES, decodeFrame, targetKey } from './entry.js';
import { type SpooledRecord, referencesTo } from './index-entry.js';
import { type RecordIndex, targetCount } from './record-index.js';
import { type Segment, ackPath, newSegment, tryRemoveSegment } from './segment.js';

const SEGMENT_NAME = /^(\d{10})\.seg$/;
/** Segments are scanned in pieces of this size: recovery never holds a whole segment, let alone the spool. */
const SCAN_CHUNK_BYTES = 1024 * 1024;

/** A recovered record. Its pending targets are computed when asked for: most records have none settled, and 200,000 arrays of keys would only be garbage to collect. */
export class RecoveredEntry {
  constructor(
    readonly entry: SpooledRecord,
    /** No target of it is settled yet. */
    readonly complete: boolean,
  ) {}

  /** "route\u0000destination" pairs still to settle. */
  get pending(): readonly string[] {
    return this.entry.pendingKeys();
  }
}

export interface RecoveredSegments {
  readonly entries: RecoveredEntry[];
  /** Segments still holding unsettled records. */
  readonly kept: readonly Segment[];
  readonly discardedBytes: number;
  readonly skipped: readonly string[];
  /** The highest segment number found, 0 for none. */
  readonly lastSeq: number;
}

/** Never writes, except to remove segments that are wholly settled. Payloads are checked (CRC) and left on disk. */
export async function recoverSegments(dir: string, index: RecordIndex): Promise<RecoveredSegments> {
  const listed = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const names = listed.filter((name) => SEGMENT_NAME.test(name)).sort();
  const Reference = referencesTo(index);
  const entries: RecoveredEntry[] = [];
  const kept: Segment[] = [];
  const skipped: string[] = [];
  let discardedBytes = 0;
  let lastSeq = 0;
  for (const name of names) {
    const seq = Number(name.slice(0, 10));
    lastSeq = Math.max(lastSeq, seq);
    const segment = newSegment(dir, seq);
    const fd = openRegularFile(path.join(dir, name));
    if (fd === null) {
      skipped.push(name);
      continue;
    }
    const settled = readSettlements(ackPath(segment));
    try {
      discardedBytes += scanSegment(fd, (meta, offset, size, payloadBytes) => {
        // Most segments have no settlement of the record at hand: then everything is pending, and no key is built.
        const pending = settled.size === 0 ? undefined : pendingOf(meta, settled);
        if (pending?.length === 0) return;
        const entry = new Reference(
          {
            id: meta.id,
            acceptedAt: meta.t,
            routes: meta.r,
            revision: meta.v,
            classification: meta.h.classification,
            severity: Number(meta.h.severity),
            eventId: meta.h.event_id,
            payloadBytes,
            segment,
            offset,
            size,
          },
          pending,
        );
        entries.push(new RecoveredEntry(entry, pending === undefined || pending.length === targetCount(meta.r)));
        segment.live += 1;
      });
    } finally {
      fs.closeSync(fd);
    }
    // On a read-only filesystem a settled segment stays until a later start can remove it.
    if (segment.live === 0) tryRemoveSegment(segment);
    else kept.push(segment);
  }
  return { entries, kept, discardedBytes, skipped, lastSeq };
}

function pendingOf(meta: EntryMeta, settled: ReadonlySet<string>): string[] {
  return meta.r.flatMap((target) => target.to.map((destination) => targetKey(target.route, destination))).filter((key) => !settled.has(`${meta.id}\u0000${key}`));
}

/**
 * Calls `onFrame` for each intact frame from the start of the file, reading it in chunks; stops at
 * the first torn or corrupt one and returns how many bytes follow it (0 when the file is clean).
 */
function scanSegment(fd: number, onFrame: (meta: EntryMeta, offset: number, size: number, payloadBytes: number) => void): number {
  const fileSize = fs.fstatSync(fd).size;
  let buffer = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(fileSize, 1)));
  /** File offset of buffer[0], and how much of the buffer holds file bytes. */
  let base = 0;
  let filled = 0;
  let position = 0;
  for (;;) {
    const frame = decodeFrame(buffer.subarray(0, filled), position);
    if (frame.ok) {
      onFrame(frame.meta, base + position, frame.size, frame.payload.length);
      position += frame.size;
      continue;
    }
    if (frame.problem === 'corrupt' || base + filled >= fileSize) return fileSize - (base + position);
    // The frame goes on past the buffer: keep its start, make room for all of it, read on.
    const rest = filled - position;
    const needed = rest >= 4 ? Math.min(FRAME_HEADER_BYTES + buffer.readUInt32LE(position), MAX_FRAME_BYTES) : 0;
    const room = Math.min(Math.max(buffer.length, needed), fileSize - (base + position));
    const next = room > buffer.length ? Buffer.allocUnsafe(room) : buffer;
    buffer.copy(next, 0, position, filled);
    buffer = next;
    base += position;
    position = 0;
    filled = rest;
    const want = Math.min(buffer.length, fileSize - base);
    while (filled < want) {
      const count = fs.readSync(fd, buffer, filled, want - filled, base + filled);
      if (count === 0) break;
      filled += count;
    }
    // The file ended early (it shrank under us): what is left is a torn tail.
    if (filled === rest) return fileSize - base;
  }
}

/** A descriptor of a regular file, or null for anything else; symlinks are never followed. */
function openRegularFile(file: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' || (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    if (fs.fstatSync(fd).isFile()) return fd;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  fs.closeSync(fd);
  return null;
}

/** Contents of a regular file, or null for anything else; symlinks are never followed. */
function readRegularFile(file: string): Buffer | null {
  const fd = openRegularFile(file);
  if (fd === null) return null;
  try {
    return fs.readFileSync(fd);
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
