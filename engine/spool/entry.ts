/**
 * How a record sits in the spool: one framed entry per record in an append-only segment file.
 * Frame: u32 LE body length · u32 LE CRC-32 of the body · body. Body: one JSON line of metadata
 * (id, acceptance time, headers, routing decision, policy revision), then the payload bytes.
 * The CRC makes a torn tail (a crash mid-write) detectable, so it is skipped, never delivered.
 */
import { crc32 } from 'node:zlib';
import { MAX_SEVERITY, MIN_SEVERITY } from '../record/classification.js';
import { RECORD_HEADERS, type RecordHeaders, type TelemetryRecord } from '../record/fields.js';

export interface RouteTargets {
  readonly route: string;
  readonly to: readonly string[];
}

export interface SpoolEntry {
  /** 32 lowercase hex: this record's id in this agent's spool and journal. */
  readonly id: string;
  readonly acceptedAt: number;
  readonly record: TelemetryRecord;
  /** The routing decision taken at acceptance; it survives policy reloads and restarts. */
  readonly routes: readonly RouteTargets[];
  readonly revision: number;
}

/** A (route, destination) pair of an entry, as the spool and its ack lines name it. */
export function targetKey(route: string, destination: string): string {
  return `${route}\u0000${destination}`;
}

export interface EntryMeta {
  readonly id: string;
  readonly t: number;
  readonly h: RecordHeaders;
  readonly r: readonly RouteTargets[];
  readonly v: number;
}

export const FRAME_HEADER_BYTES = 8;
/** Larger bodies are corruption, not records (payloads are at most a few KiB). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_BODY_BYTES;

export function encodeEntry(entry: SpoolEntry): Buffer {
  const meta: EntryMeta = { id: entry.id, t: entry.acceptedAt, h: entry.record.headers, r: entry.routes, v: entry.revision };
  const metaLine = `${JSON.stringify(meta)}\n`;
  // Written in place: this runs once per accepted record.
  const metaBytes = Buffer.byteLength(metaLine);
  const bodyLength = metaBytes + entry.record.payload.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyLength);
  frame.write(metaLine, FRAME_HEADER_BYTES, 'utf8');
  entry.record.payload.copy(frame, FRAME_HEADER_BYTES + metaBytes);
  frame.writeUInt32LE(bodyLength, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

const ENTRY_ID = /^[0-9a-f]{32}$/;

/** What the intake lets in (the index keeps it in a byte). */
function isSeverity(value: string): boolean {
  const severity = Number(value);
  return /^\d+$/.test(value) && severity >= MIN_SEVERITY && severity <= MAX_SEVERITY;
}

function isRouteTargets(value: unknown): value is RouteTargets {
  const target = value as Partial<RouteTargets> | null;
  return typeof target?.route === 'string' && Array.isArray(target.to) && target.to.every((name) => typeof name === 'string');
}

/** The whole shape is checked: a CRC-valid body of another shape (another version, a planted file) must not reach recovery. */
function isMeta(value: unknown): value is EntryMeta {
  const meta = value as Partial<EntryMeta> | null;
  return (
    typeof meta?.id === 'string' &&
    ENTRY_ID.test(meta.id) &&
    Number.isFinite(meta.t) &&
    Number.isFinite(meta.v) &&
    Array.isArray(meta.r) &&
    meta.r.every(isRouteTargets) &&
    typeof meta.h === 'object' &&
    meta.h !== null &&
    RECORD_HEADERS.every((name) => typeof (meta.h as Record<string, unknown>)[name] === 'string') &&
    isSeverity((meta.h as RecordHeaders).severity)
  );
}

/** One frame read at `offset`: its metadata and a view of its payload (not copied), or why it is not a record. */
export type DecodedFrame =
  | { readonly ok: true; readonly meta: EntryMeta; readonly payload: Buffer; readonly size: number }
  /** `truncated`: the buffer ends inside the frame (more bytes may complete it); `corrupt`: it never will. */
  | { readonly ok: false; readonly problem: 'truncated' | 'corrupt' };

const TRUNCATED: DecodedFrame = { ok: false, problem: 'truncated' };
const CORRUPT: DecodedFrame = { ok: false, problem: 'corrupt' };

export function decodeFrame(buffer: Buffer, offset: number): DecodedFrame {
  if (offset + FRAME_HEADER_BYTES > buffer.length) return TRUNCATED;
  const length = buffer.readUInt32LE(offset);
  if (length > MAX_BODY_BYTES) return CORRUPT;
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > buffer.length) return TRUNCATED;
  const body = buffer.subarray(offset + FRAME_HEADER_BYTES, end);
  if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return CORRUPT;
  const newline = body.indexOf(0x0a);
  if (newline < 0) return CORRUPT;
  let meta: unknown;
  try {
    meta = JSON.parse(body.toString('utf8', 0, newline));
  } catch {
    return CORRUPT;
  }
  if (!isMeta(meta)) return CORRUPT;
  return { ok: true, meta, payload: body.subarray(newline + 1), size: end - offset };
}

/** The entry a decoded frame holds, its payload copied out of the read buffer. */
export function frameEntry(meta: EntryMeta, payload: Buffer): SpoolEntry {
  return { id: meta.id, acceptedAt: meta.t, record: { headers: meta.h, payload: Buffer.from(payload) }, routes: meta.r, revision: meta.v };
}

export interface DecodedSegment {
  /** Entries with their encoded size, in file order. */
  readonly entries: { readonly entry: SpoolEntry; readonly size: number }[];
  /** Bytes after the last intact entry (a torn or corrupt tail), 0 when clean. */
  readonly discardedBytes: number;
}

/** A whole segment in memory: for tests and tools; the spool itself scans segments in chunks (recover.ts). */
export function decodeSegment(buffer: Buffer): DecodedSegment {
  const entries: { entry: SpoolEntry; size: number }[] = [];
  let offset = 0;
  for (;;) {
    const frame = decodeFrame(buffer, offset);
    if (!frame.ok) break;
    entries.push({ entry: frameEntry(frame.meta, frame.payload), size: frame.size });
    offset += frame.size;
  }
  return { entries, discardedBytes: buffer.length - offset };
}
