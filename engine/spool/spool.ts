/**
 * The durable spool: records wait here until every destination of their routes has settled
 * them. Records are appended to numbered segment files (`<seq>.seg`); settlements to the
 * segment's `<seq>.ack`. A segment is deleted once all its records are settled. On open,
 * intact entries that are not fully settled are recovered; a torn tail is skipped and counted.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type SpoolEntry, decodeSegment, encodeEntry } from './entry.js';
import { type Durability, GroupCommitFile } from './group-commit.js';

/** A new segment is started once the current one holds this much. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{10})\.seg$/;

export type SettleOutcome = 'delivered' | 'dropped' | 'expired' | 'rejected';

export interface SpoolOptions {
  readonly dir: string;
  readonly durability: Durability;
  readonly batchWindowMs: number;
  /** Most bytes of unsettled records; null for no quota. */
  readonly maxBytes: number | null;
}

export interface RecoveredEntry {
  readonly entry: SpoolEntry;
  /** "route\u0000destination" pairs still to settle. */
  readonly pending: readonly string[];
}

export interface SpoolRecovery {
  readonly entries: RecoveredEntry[];
  /** Bytes of torn or corrupt tails skipped across segments. */
  readonly discardedBytes: number;
  /** Segment names that are not regular files (a planted symlink, say): left alone, never read. */
  readonly skipped: readonly string[];
  /** Why no segment could be opened for writing (a read-only or full filesystem), or null. Appends retry. */
  readonly unwritable: Error | null;
}

interface Segment {
  readonly seq: number;
  readonly dir: string;
  data: GroupCommitFile | null;
  acks: GroupCommitFile | null;
  /** The ack file being opened: concurrent settlements share it instead of each opening one. */
  acksOpening: Promise<GroupCommitFile> | null;
  live: number;
}

interface Tracked {
  readonly segment: Segment;
  readonly size: number;
  pending: number;
}

export function targetKey(route: string, destination: string): string {
  return `${route}\u0000${destination}`;
}

export class SpoolFullError extends Error {
  constructor(readonly needed: number, readonly limit: number) {
    super(`spool is full: ${needed} bytes needed, limit ${limit}`);
  }
}

export class Spool {
  readonly #options: SpoolOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #segments = new Map<number, Segment>();
  /** Where appends go; null until a segment could be opened (the filesystem may refuse). */
  #current: Segment | null = null;
  #nextSeq: number;
  #opening: Promise<Segment> | null = null;
  #liveBytes = 0;
  #rotating: Promise<void> | null = null;

  private constructor(options: SpoolOptions, nextSeq: number) {
    this.#options = options;
    this.#nextSeq = nextSeq;
  }

  static async open(options: SpoolOptions): Promise<{ spool: Spool; recovery: SpoolRecovery }> {
    // A directory that cannot be created is reported through `unwritable` below, not thrown.
    await mkdir(options.dir, { recursive: true, mode: 0o700 }).catch(() => undefined);
    const listed = await readdir(options.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const names = listed.filter((name) => SEGMENT_NAME.test(name)).sort();
    const recovered: RecoveredEntry[] = [];
    const owners: { id: string; segment: Segment; size: number; pending: number }[] = [];
    const kept: Segment[] = [];
    const skipped: string[] = [];
    let discardedBytes = 0;
    let lastSeq = 0;
    for (const name of names) {
      const seq = Number(name.slice(0, 10));
      lastSeq = Math.max(lastSeq, seq);
      const segment: Segment = { seq, dir: options.dir, data: null, acks: null, acksOpening: null, live: 0 };
      const contents = await readRegularFile(path.join(options.dir, name));
      if (contents === null) {
        skipped.push(name);
        continue;
      }
      const decoded = decodeSegment(contents);
      discardedBytes += decoded.discardedBytes;
      const settled = await readSettlements(ackPath(segment));
      for (const { entry, size } of decoded.entries) {
        const pending = entry.routes
          .flatMap((target) => target.to.map((destination) => targetKey(target.route, destination)))
          .filter((key) => !settled.has(`${entry.id}\u0000${key}`));
        if (pending.length === 0) continue;
        recovered.push({ entry, pending });
        owners.push({ id: entry.id, segment, size, pending: pending.length });
        segment.live += 1;
      }
      // On a read-only filesystem a settled segment stays until a later start can remove it.
      if (segment.live === 0) await removeSegment(segment).catch(() => undefined);
      else kept.push(segment);
    }
    // Never append to a recovered segment: its tail may be torn.
    const spool = new Spool(options, lastSeq + 1);
    for (const segment of kept) spool.#segments.set(segment.seq, segment);
    for (const owner of owners) {
      spool.#tracked.set(owner.id, { segment: owner.segment, size: owner.size, pending: owner.pending });
      spool.#liveBytes += owner.size;
    }
    let unwritable: Error | null = null;
    try {
      await spool.#writableSegment();
    } catch (error) {
      unwritable = error as Error;
    }
    return { spool, recovery: { entries: recovered, discardedBytes, skipped, unwritable } };
  }

  get liveBytes(): number {
    return this.#liveBytes;
  }

  get liveRecords(): number {
    return this.#tracked.size;
  }

  /** Stores an entry durably; rejects with SpoolFullError when the quota would be exceeded, or with the filesystem's error. */
  async append(entry: SpoolEntry): Promise<void> {
    const frame = encodeEntry(entry);
    const { maxBytes } = this.#options;
    if (maxBytes !== null && this.#liveBytes + frame.length > maxBytes) throw new SpoolFullError(this.#liveBytes + frame.length, maxBytes);
    const targets = entry.routes.reduce((count, target) => count + target.to.length, 0);
    // Reserve before the write so concurrent appends cannot overshoot the quota together.
    this.#liveBytes += frame.length;
    let segment: Segment;
    try {
      segment = await this.#writableSegment();
    } catch (error) {
      this.#liveBytes -= frame.length;
      throw error;
    }
    const data = segment.data as GroupCommitFile;
    segment.live += 1;
    this.#tracked.set(entry.id, { segment, size: frame.length, pending: targets });
    try {
      await data.append(frame);
    } catch (error) {
      this.#tracked.delete(entry.id);
      this.#liveBytes -= frame.length;
      segment.live -= 1;
      // Its tail is torn and could not be cut back: later records go to a new segment.
      if (data.broken && this.#current === segment) this.#current = null;
      throw error;
    }
    if (data.size >= SEGMENT_BYTES && this.#current === segment && !this.#rotating) {
      this.#rotating = this.#rotate().finally(() => {
        this.#rotating = null;
      });
    }
  }

  /** The segment to append to, opening one when there is none yet (again after a failure: the disk may have recovered). */
  async #writableSegment(): Promise<Segment> {
    for (;;) {
      while (this.#rotating) await this.#rotating;
      if (this.#current?.data) return this.#current;
      this.#opening ??= this.#openNext().finally(() => {
        this.#opening = null;
      });
      const segment = await this.#opening;
      // A rotation may have closed it in between; look again.
      if (segment.data) return segment;
    }
  }

  async #openNext(): Promise<Segment> {
    await mkdir(this.#options.dir, { recursive: true, mode: 0o700 });
    const segment = await openSegment(this.#options, this.#nextSeq);
    this.#nextSeq += 1;
    this.#segments.set(segment.seq, segment);
    this.#current = segment;
    return segment;
  }

  /** Never rejects: when no new segment can be opened, appends go on to the current one and a later append tries again. */
  async #rotate(): Promise<void> {
    const previous = this.#current;
    try {
      await this.#openNext();
    } catch {
      return;
    }
    if (!previous) return;
    await previous.data?.close().catch(() => undefined);
    previous.data = null;
    if (previous.live === 0) await this.#retire(previous).catch(() => undefined);
  }

  /** Durably notes that one destination of one route is done with a record. */
  async settle(options: { id: string; route: string; destination: string; outcome: SettleOutcome }): Promise<void> {
    const tracked = this.#tracked.get(options.id);
    if (!tracked) return;
    const { segment } = tracked;
    if (!segment.acks) {
      segment.acksOpening ??= GroupCommitFile.open({ path: ackPath(segment), durability: this.#options.durability, batchWindowMs: this.#options.batchWindowMs }).finally(() => {
        segment.acksOpening = null;
      });
      segment.acks = await segment.acksOpening;
    }
    // Leading newline: if a crash tore the previous line, this one still starts on a line of its own.
    await segment.acks.append(Buffer.from(`\n${options.id}\u0000${targetKey(options.route, options.destination)}\u0000${options.outcome}\n`));
    tracked.pending -= 1;
    if (tracked.pending > 0) return;
    this.#tracked.delete(options.id);
    this.#liveBytes -= tracked.size;
    segment.live -= 1;
    if (segment.live === 0 && segment !== this.#current) await this.#retire(segment);
  }

  async #retire(segment: Segment): Promise<void> {
    this.#segments.delete(segment.seq);
    // Still open only when the segment was abandoned for a torn tail.
    await segment.data?.close().catch(() => undefined);
    segment.data = null;
    await segment.acks?.close();
    segment.acks = null;
    await removeSegment(segment);
  }

  async close(): Promise<void> {
    while (this.#rotating) await this.#rotating;
    for (const segment of this.#segments.values()) {
      await segment.data?.close();
      await segment.acks?.close();
    }
  }
}

function segmentBase(segment: Segment): string {
  return path.join(segment.dir, String(segment.seq).padStart(10, '0'));
}

function ackPath(segment: Segment): string {
  return `${segmentBase(segment)}.ack`;
}

async function openSegment(options: SpoolOptions, seq: number): Promise<Segment> {
  const segment: Segment = { seq, dir: options.dir, data: null, acks: null, acksOpening: null, live: 0 };
  const data = await GroupCommitFile.open({ path: `${segmentBase(segment)}.seg`, durability: options.durability, batchWindowMs: options.batchWindowMs });
  try {
    await syncDirectory(options.dir, options.durability);
  } catch (error) {
    await data.close().catch(() => undefined);
    throw error;
  }
  segment.data = data;
  return segment;
}

/** A new file's directory entry must be durable too, or a crash can forget the whole segment. */
async function syncDirectory(dir: string, durability: Durability): Promise<void> {
  if (durability === 'none') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeSegment(segment: Segment): Promise<void> {
  await rm(`${segmentBase(segment)}.seg`, { force: true });
  await rm(ackPath(segment), { force: true });
}

/** Contents of a regular file, or null for anything else; symlinks are never followed. */
async function readRegularFile(file: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' || (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return (await handle.stat()).isFile() ? await handle.readFile() : null;
  } finally {
    await handle.close();
  }
}

async function readSettlements(file: string): Promise<Set<string>> {
  const settled = new Set<string>();
  const contents = await readRegularFile(file);
  if (contents === null) return settled;
  const text = contents.toString('utf8');
  // Only complete lines count: a torn last line was never acknowledged; empty lines separate.
  const lines = text.split('\n');
  lines.pop();
  for (const line of lines) {
    const parts = line.split('\u0000');
    if (parts.length === 4 && /^[0-9a-f]{32}$/.test(parts[0] as string)) settled.add(parts.slice(0, 3).join('\u0000'));
  }
  return settled;
}
