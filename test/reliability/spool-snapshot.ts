/**
 * Reads an agent's spool directory the way the agent's recovery does (engine/spool/spool.ts
 * `Spool.open`): the intact (length + CRC-32 checked) entries of every `<seq>.seg`, and the
 * settlements in its `<seq>.ack` — lines `id\0route\0destination\0outcome`, only complete lines
 * counting. An entry is *unsettled* while some destination of its routes has no settlement: the
 * agent's next start would deliver it (again). Read after a kill, that is the set of records the
 * next run may legitimately re-send.
 *
 * The segment decoding is the agent's own (decodeSegment); the ack reading is reimplemented here
 * (readSettlements is private to the spool) and must follow it.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeSegment } from '../../engine/spool/entry.js';

export interface SnapshotEntry {
  /** The agent's spool id. */
  readonly id: string;
  readonly eventId: string;
  /** UTF-8. */
  readonly payload: string;
  readonly segment: string;
  /** "route\0destination" targets not settled yet; empty when the record is done with. */
  readonly pending: readonly string[];
}

export interface SpoolSnapshot {
  /** Every intact entry, in segment and file order. */
  readonly entries: readonly SnapshotEntry[];
  /** Entries with at least one target not settled. */
  readonly unsettled: readonly SnapshotEntry[];
  /** Payloads (UTF-8) of every intact entry, in segment and file order. */
  readonly payloads: string[];
  /** Bytes of torn tails (a write the kill interrupted), summed over segments. */
  readonly tornBytes: number;
  /** Segment file names, sorted. */
  readonly segments: readonly string[];
}

const SEGMENT_NAME = /^(\d{10})\.seg$/;

/**
 * The settled "id\u0000route\u0000destination" keys of an ack file, read by the test itself: spool.ts
 * writes "\nID\u0000route\u0000destination\u0000outcome\n" per settlement, and a torn last line lacks
 * its final newline. Deliberately not the spool's own parser: if recovery misread acks (and re-sent
 * delivered records), sharing its parser would widen the re-send bound by exactly as much.
 */
function settledKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const match of text.matchAll(/\n([0-9a-f]{32})\u0000([^\u0000\n]*)\u0000([^\u0000\n]*)\u0000[^\u0000\n]+\n/g)) keys.add(`${match[1]}\u0000${match[2]}\u0000${match[3]}`);
  return keys;
}

/** A file's contents, or null when it is gone (a running agent may retire a segment while it is read). */
async function readIfPresent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function readSpoolSnapshot(dir: string): Promise<SpoolSnapshot> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => SEGMENT_NAME.test(name)).sort();
  const entries: SnapshotEntry[] = [];
  const segments: string[] = [];
  let tornBytes = 0;
  for (const name of names) {
    const contents = await readIfPresent(path.join(dir, name));
    if (contents === null) continue;
    segments.push(name);
    const decoded = decodeSegment(contents);
    tornBytes += decoded.discardedBytes;
    const acks = await readIfPresent(path.join(dir, name.replace(/\.seg$/, '.ack')));
    const settled = settledKeys(acks === null ? '' : acks.toString('utf8'));
    for (const { entry } of decoded.entries) {
      const pending = entry.routes.flatMap((target) => target.to.map((destination) => `${target.route}\u0000${destination}`)).filter((key) => !settled.has(`${entry.id}\u0000${key}`));
      entries.push({ id: entry.id, eventId: entry.record.headers.event_id, payload: entry.record.payload.toString('utf8'), segment: name, pending });
    }
  }
  return {
    entries,
    unsettled: entries.filter((entry) => entry.pending.length > 0),
    payloads: entries.map((entry) => entry.payload),
    tornBytes,
    segments,
  };
}
