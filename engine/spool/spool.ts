/**
 * The durable spool: records wait here until every destination of their routes has settled
 * them. Records are appended to numbered segment files (`<seq>.seg`); settlements to the
 * segment's `<seq>.ack`. A segment is deleted once all its records are settled. On open,
 * intact entries that are not fully settled are recovered; a torn tail is skipped and counted.
 *
 * Appends and settlements are written synchronously (page cache) before the call returns, so a
 * crash of the process loses nothing already handed over; fdatasync runs behind them by group
 * commit. Settlement is decided in memory: when the filesystem is full and an ack line cannot be
 * written, the record still counts as settled, a segment whose records are all settled is still
 * deleted (that is what gives the space back), and the line is written later if the segment
 * remains. A small reserve file is given up first, so settlements can be written while full.
 *
 * Only an index of unsettled records is kept in memory (index-entry.ts); records are read back
 * from their segment when they are sent (`read`). A segment is deleted only once none of its
 * records is pending, and a pending record is the only thing anyone reads: so no read ever meets a
 * deleted segment (a handle already open stays valid anyway; `retired` stops new ones).
 */
import fs, { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../log/logger.js';
import type { TelemetryRecord } from '../record/fields.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';
import { type HeldLock, spoolLockFile, takeLock } from './dir-lock.js';
import { type SpoolEntry, encodeEntry, targetKey } from './entry.js';
import { type Durability, GroupCommitFile } from './group-commit.js';
import { type IndexEntry, SpooledRecord, referencesTo } from './index-entry.js';
import { RecordIndex } from './record-index.js';
import { CORRUPT, type ReadBack, readFrames } from './read-back.js';
import { type RecoveredEntry, recoverSegments } from './recover.js';
import { type Segment, ackPath, newSegment, segmentBase, tryRemoveSegment } from './segment.js';

export type { ReadBack } from './read-back.js';

/** A new segment is started once the current one holds this much. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
/** Space kept back on the spool's filesystem so settlements can still be written when it is full. */
const RESERVE_FILE = '.reserve';
const RESERVE_BYTES = 64 * 1024;
/** How often ack lines that could not be written are tried again. */
const ACK_RETRY_MS = 1000;
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);
/**
 * Just accepted records keep their record in memory until they are first read for sending (with
 * a destination up that is within milliseconds, so the steady state reads nothing back), up to
 * this many payload bytes in all: a backlog beyond it lives on disk only.
 */
const HOT_BYTES = 2 * 1024 * 1024;
/** What a kept record costs beyond its payload (headers object and strings), roughly. */
const HOT_OVERHEAD_BYTES = 1024;

/** `rerouted`: the record was spooled again under the current policy's routes (a destination was renamed). */
export type SettleOutcome = 'delivered' | 'dropped' | 'expired' | 'rejected' | 'rerouted';

export interface SpoolOptions {
  readonly dir: string;
  readonly durability: Durability;
  readonly batchWindowMs: number;
  /** Most bytes of unsettled records; null for no quota. */
  readonly maxBytes: number | null;
  readonly logger?: Logger;
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

export class SpoolFullError extends Error {
  readonly code = 'spool-full';
  constructor(
    readonly needed: number,
    readonly limit: number,
  ) {
    super(`spool is full: ${needed} bytes needed, limit ${limit}`);
  }
}

export class Spool {
  readonly #options: SpoolOptions;
  readonly #logger: Logger;
  readonly #index: RecordIndex;
  /** Just accepted records kept in memory until first read, at most HOT_BYTES of them. */
  readonly #hot = new Map<SpooledRecord, TelemetryRecord>();
  #hotBytes = 0;
  readonly #segments = new Map<number, Segment>();
  /** Where appends go; null until a segment could be opened (the filesystem may refuse). */
  #current: Segment | null = null;
  #nextSeq: number;
  #liveBytes = 0;
  /** The last append failed: a current segment whose records are all settled is deleted to give space back. */
  #appendFailing = false;
  #ackRetry: LongTimeout | null = null;
  /** Closing files of rotated segments (their last sync may still be running). */
  readonly #closing = new Set<Promise<void>>();

  readonly #lock: HeldLock;

  private constructor(options: SpoolOptions, nextSeq: number, lock: HeldLock, index: RecordIndex) {
    this.#options = options;
    this.#index = index;
    this.#lock = lock;
    this.#logger = options.logger ?? silentLogger;
    this.#nextSeq = nextSeq;
  }

  /** Throws a TelemError (locked), before reading or changing anything, when another process has the directory open as its spool. */
  static async open(options: SpoolOptions): Promise<{ spool: Spool; recovery: SpoolRecovery }> {
    const lock = takeLock(spoolLockFile(options.dir), `the spool ${options.dir}`);
    try {
      return await Spool.#open(options, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  static async #open(options: SpoolOptions, lock: HeldLock): Promise<{ spool: Spool; recovery: SpoolRecovery }> {
    try {
      fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    } catch {
      // A directory that cannot be created is reported through `unwritable` below, not thrown.
    }
    const index = new RecordIndex();
    const { entries, kept, discardedBytes, skipped, lastSeq } = await recoverSegments(options.dir, index);
    // Never append to a recovered segment: its tail may be torn.
    const spool = new Spool(options, lastSeq + 1, lock, index);
    for (const segment of kept) spool.#segments.set(segment.seq, segment);
    for (const { entry } of entries) spool.#liveBytes += entry.size;
    let unwritable: Error | null = null;
    try {
      spool.#writableSegment();
    } catch (error) {
      unwritable = error as Error;
    }
    spool.#keepReserve();
    return { spool, recovery: { entries, discardedBytes, skipped, unwritable } };
  }

  get liveBytes(): number {
    return this.#liveBytes;
  }

  get liveRecords(): number {
    return this.#index.live;
  }

  /**
   * Writes an entry before returning (a crash of this process from then on loses nothing) and
   * resolves once it is synced, with what the spool keeps of it in memory. Throws SpoolFullError when the quota would be exceeded, or the
   * filesystem's error; nothing of the entry is kept then. `ignoreQuota`: a record moving within
   * the spool (re-routed), whose old entry is released once the new one is durable.
   */
  append(entry: SpoolEntry, options: { readonly ignoreQuota?: boolean } = {}): Promise<IndexEntry> {
    const frame = encodeEntry(entry);
    const { maxBytes } = this.#options;
    if (maxBytes !== null && !options.ignoreQuota && this.#liveBytes + frame.length > maxBytes) throw new SpoolFullError(this.#liveBytes + frame.length, maxBytes);
    const segment = this.#writableSegment();
    const data = segment.data as GroupCommitFile;
    const offset = data.size;
    const { headers, payload } = entry.record;
    // Indexed before it is written: what the index refuses (an id or severity it cannot hold) never reaches
    // the segment, where recovery would stop at it and lose the records after it.
    const indexed = new (referencesTo(this.#index))({
      id: entry.id,
      acceptedAt: entry.acceptedAt,
      routes: entry.routes,
      revision: entry.revision,
      classification: headers.classification,
      severity: Number(headers.severity),
      eventId: headers.event_id,
      payloadBytes: payload.length,
      segment,
      offset,
      size: frame.length,
    });
    try {
      data.append(frame);
    } catch (error) {
      indexed.release();
      this.#appendFailing = true;
      // A torn tail that could not be cut back takes no more records; an empty segment is given back.
      if (data.broken || segment.live === 0) this.#seal(segment);
      throw error;
    }
    this.#appendFailing = false;
    const cost = payload.length + HOT_OVERHEAD_BYTES;
    if (this.#hotBytes + cost <= HOT_BYTES) {
      this.#hot.set(indexed, entry.record);
      this.#hotBytes += cost;
    }
    this.#liveBytes += frame.length;
    segment.live += 1;
    const durable = data.sync();
    if (data.size >= SEGMENT_BYTES) this.#seal(segment);
    return durable.then(() => indexed);
  }

  #dropHot(entry: SpooledRecord): void {
    if (!this.#hot.delete(entry)) return;
    this.#hotBytes -= entry.payloadBytes + HOT_OVERHEAD_BYTES;
  }

  /**
   * The records of spooled entries, in the order given, for sending: a just accepted one from
   * memory (once: a retry reads it back), the others from their segment. A frame that is not what
   * was written (bit rot since recovery) comes back as `spool_corrupt`, for the caller to settle;
   * other read errors (out of descriptors, say) reject, and the records stay pending.
   */
  async read(entries: readonly IndexEntry[]): Promise<ReadBack[]> {
    const results = new Array<ReadBack>(entries.length);
    const bySegment = new Map<Segment, number[]>();
    for (const [index, entry] of entries.entries()) {
      if (!this.#owns(entry)) {
        // Settled already, or not this spool's: nothing to send (callers only read pending records).
        results[index] = CORRUPT;
        continue;
      }
      const hot = this.#hot.get(entry);
      if (hot !== undefined) {
        results[index] = { ok: true, record: hot };
        this.#dropHot(entry);
        continue;
      }
      const group = bySegment.get(entry.segment) ?? [];
      group.push(index);
      bySegment.set(entry.segment, group);
    }
    await Promise.all(
      [...bySegment].map(async ([segment, indexes]) => {
        const handle = this.#openReader(segment);
        if (handle === null) {
          for (const index of indexes) results[index] = CORRUPT;
          return;
        }
        try {
          const read = await readFrames(
            await handle,
            indexes.map((index) => entries[index] as SpooledRecord),
          );
          for (const [position, index] of indexes.entries()) results[index] = read[position] as ReadBack;
        } catch (error) {
          // The file is gone (someone removed it): what was in it cannot be sent.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          for (const index of indexes) results[index] = CORRUPT;
        } finally {
          this.#releaseReader(segment);
        }
      }),
    );
    return results;
  }

  /** A record of this spool's that is not settled yet. */
  #owns(entry: IndexEntry): entry is SpooledRecord {
    return entry instanceof SpooledRecord && entry.index === this.#index && !entry.settled;
  }

  /** A handle for reading the segment, shared by concurrent reads; null for a retired segment. */
  #openReader(segment: Segment): Promise<FileHandle> | null {
    if (segment.retired) return null;
    if (segment.reader === null) {
      const handle = open(`${segmentBase(segment)}.seg`, constants.O_RDONLY | constants.O_NOFOLLOW);
      // A failed open is not kept: the next read tries again.
      handle.catch(() => {
        if (segment.reader?.handle === handle) segment.reader = null;
      });
      segment.reader = { handle, users: 0 };
    }
    segment.reader.users += 1;
    return segment.reader.handle;
  }

  #releaseReader(segment: Segment): void {
    const reader = segment.reader;
    if (reader === null) return;
    reader.users -= 1;
    if (reader.users === 0 && segment.retired) this.#closeReader(segment);
  }

  #closeReader(segment: Segment): void {
    const reader = segment.reader;
    if (reader === null || reader.users > 0) return;
    segment.reader = null;
    this.#track(
      reader.handle.then(
        (handle) => handle.close(),
        () => undefined,
      ),
    );
  }

  /** The segment to append to, opening one when there is none (again after a failure: the disk may have recovered). */
  #writableSegment(): Segment {
    if (this.#current?.data) return this.#current;
    fs.mkdirSync(this.#options.dir, { recursive: true, mode: 0o700 });
    const segment = newSegment(this.#options.dir, this.#nextSeq);
    segment.data = this.#openFile(`${segmentBase(segment)}.seg`);
    try {
      syncDirectory(this.#options.dir, this.#options.durability);
    } catch (error) {
      this.#track(segment.data.close());
      segment.data = null;
      fs.rmSync(`${segmentBase(segment)}.seg`, { force: true });
      throw error;
    }
    this.#nextSeq += 1;
    this.#segments.set(segment.seq, segment);
    this.#current = segment;
    return segment;
  }

  #openFile(file: string): GroupCommitFile {
    return GroupCommitFile.open({
      path: file,
      durability: this.#options.durability,
      batchWindowMs: this.#options.batchWindowMs,
      onSyncError: (error) => this.#logger.error({ err: error, file }, 'fdatasync failed: spooled records may not survive a power loss'),
    });
  }

  /** Stops appending to a segment; its file closes once its last sync is done. */
  #seal(segment: Segment): void {
    if (segment.data) this.#track(segment.data.close());
    segment.data = null;
    if (this.#current === segment) this.#current = null;
    if (segment.live === 0) this.#retire(segment);
  }

  #track(closing: Promise<void>): void {
    const tracked = closing.catch((error: Error) => this.#logger.warn({ err: error }, 'could not close a spool file')).finally(() => this.#closing.delete(tracked));
    this.#closing.add(tracked);
  }

  /** Notes that one destination of one route is done with a record. */
  settle(options: { entry: IndexEntry; route: string; destination: string; outcome: SettleOutcome }): void {
    const tracked = options.entry;
    if (!this.#owns(tracked) || !tracked.settle(options.route, options.destination)) return;
    const key = targetKey(options.route, options.destination);
    const { segment, id } = tracked;
    if (tracked.settled) {
      this.#liveBytes -= tracked.size;
      this.#dropHot(tracked);
      tracked.release();
      segment.live -= 1;
    }
    // Whole segment settled: deleting it makes the line unnecessary (and gives the space back).
    if (segment.live === 0 && (segment !== this.#current || this.#appendFailing)) {
      this.#retire(segment);
      return;
    }
    // Leading newline: if a crash tore the previous line, this one still starts on a line of its own.
    segment.unwrittenAcks.push(Buffer.from(`\n${id}\u0000${key}\u0000${options.outcome}\n`));
    this.#writeAcks(segment);
  }

  #writeAcks(segment: Segment): void {
    if (segment.unwrittenAcks.length === 0) return;
    const lines = Buffer.concat(segment.unwrittenAcks);
    try {
      this.#appendAcks(segment, lines);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!NO_SPACE.has(code) || !this.#releaseReserve()) {
        this.#retryAcksLater(error as Error);
        return;
      }
      try {
        this.#appendAcks(segment, lines);
      } catch (again) {
        this.#retryAcksLater(again as Error);
        return;
      }
    }
    segment.unwrittenAcks = [];
  }

  #appendAcks(segment: Segment, lines: Buffer): void {
    segment.acks ??= this.#openFile(ackPath(segment));
    segment.acks.append(lines);
    // Not awaited: an ack lost to a power cut only means the record is delivered once more.
    void segment.acks.sync();
  }

  #retryAcksLater(error: Error): void {
    if (this.#ackRetry) return;
    this.#logger.warn({ err: error, dir: this.#options.dir }, 'cannot write settlements to the spool; keeping them in memory and trying again');
    this.#ackRetry = setLongTimeout(() => {
      this.#ackRetry = null;
      for (const segment of this.#segments.values()) this.#writeAcks(segment);
    }, ACK_RETRY_MS).unref();
  }

  #retire(segment: Segment): void {
    this.#segments.delete(segment.seq);
    segment.retired = true;
    this.#closeReader(segment);
    if (this.#current === segment) this.#current = null;
    if (segment.data) this.#track(segment.data.close());
    if (segment.acks) this.#track(segment.acks.close());
    segment.data = null;
    segment.acks = null;
    segment.unwrittenAcks = [];
    tryRemoveSegment(segment);
    this.#keepReserve();
  }

  /** Gives the reserve's space to the settlements; false when there is none left to give. */
  #releaseReserve(): boolean {
    try {
      fs.unlinkSync(path.join(this.#options.dir, RESERVE_FILE));
    } catch {
      return false;
    }
    this.#logger.warn({ dir: this.#options.dir }, "the spool's filesystem is full: released the spool's reserve so deliveries can still be settled");
    return true;
  }

  /** Creates the reserve when it is missing and there is room for it. */
  #keepReserve(): void {
    const file = path.join(this.#options.dir, RESERVE_FILE);
    if (fs.existsSync(file)) return;
    let fd: number | null = null;
    try {
      fd = fs.openSync(`${file}.new`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
      const zeros = Buffer.alloc(RESERVE_BYTES);
      let written = 0;
      while (written < zeros.length) {
        const count = fs.writeSync(fd, zeros, written);
        if (count === 0) throw Object.assign(new Error('no space for the reserve'), { code: 'ENOSPC' });
        written += count;
      }
      fs.closeSync(fd);
      fd = null;
      fs.renameSync(`${file}.new`, file);
    } catch {
      // No room (or no write access) now: a later retirement tries again.
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(`${file}.new`, { force: true });
    }
  }

  async close(): Promise<void> {
    for (const segment of this.#segments.values()) this.#writeAcks(segment);
    this.#ackRetry?.clear();
    this.#ackRetry = null;
    for (const segment of this.#segments.values()) {
      segment.retired = true;
      this.#closeReader(segment);
      if (segment.data) this.#track(segment.data.close());
      if (segment.acks) this.#track(segment.acks.close());
      segment.data = null;
      segment.acks = null;
    }
    this.#current = null;
    while (this.#closing.size > 0) await Promise.all([...this.#closing]);
    this.#lock.release();
  }
}

/** A new file's directory entry must be durable too, or a crash can forget the whole segment. */
function syncDirectory(dir: string, durability: Durability): void {
  if (durability === 'none') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
