/**
 * Reading spooled records back from their segment just before they are sent. Frames next to each
 * other in the file (a backlog is mostly that: records accepted one after another) are read with
 * one positional read, so a batch of 500 costs a few reads, not 500. Every frame is checked again
 * (length, CRC, id): the disk may have rotted since recovery scanned it.
 */
import type { FileHandle } from 'node:fs/promises';
import type { TelemetryRecord } from '../record/fields.js';
import { decodeFrame } from './entry.js';
import type { SpooledRecord } from './index-entry.js';

export type ReadBack =
  | { readonly ok: true; readonly record: TelemetryRecord }
  /** The frame on disk is not the record that was written there: it can never be sent. */
  | { readonly ok: false; readonly reason: 'spool_corrupt' };

export const CORRUPT: ReadBack = { ok: false, reason: 'spool_corrupt' };

/** One read covers frames this close to each other (reading a gap is cheaper than another system call)… */
const MAX_GAP_BYTES = 64 * 1024;
/** …and at most this much, so a read never needs a large buffer. */
const MAX_READ_BYTES = 1024 * 1024;

/** The records of `entries` (all of one segment, any order), in the order given. */
export async function readFrames(handle: FileHandle, entries: readonly SpooledRecord[]): Promise<ReadBack[]> {
  const results = new Array<ReadBack>(entries.length);
  const order = entries.map((_, index) => index).sort((a, b) => (entries[a] as SpooledRecord).offset - (entries[b] as SpooledRecord).offset);
  let start = 0;
  while (start < order.length) {
    const first = entries[order[start] as number] as SpooledRecord;
    let end = start + 1;
    let until = first.offset + first.size;
    for (; end < order.length; end += 1) {
      const next = entries[order[end] as number] as SpooledRecord;
      const nextEnd = Math.max(until, next.offset + next.size);
      if (next.offset - until > MAX_GAP_BYTES || nextEnd - first.offset > MAX_READ_BYTES) break;
      until = nextEnd;
    }
    const buffer = Buffer.allocUnsafe(until - first.offset);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, first.offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const view = buffer.subarray(0, filled);
    for (let position = start; position < end; position += 1) {
      const index = order[position] as number;
      const entry = entries[index] as SpooledRecord;
      const frame = decodeFrame(view, entry.offset - first.offset);
      // Copied out: the read buffer is shared by the whole run and must not be kept alive by one record.
      results[index] = frame.ok && frame.size === entry.size && frame.meta.id === entry.id ? { ok: true, record: { headers: frame.meta.h, payload: Buffer.from(frame.payload) } } : CORRUPT;
    }
    start = end;
  }
  return results;
}
