/**
 * A paced stream of records into the agent's socket from several concurrent "probes", each
 * handing over one record per connection as libtelemetry does: connect, write the whole frame,
 * close. The stream holds a target total rate (records/s across all probes); a probe that falls
 * behind catches up by at most MAX_LAG_MS, it never bursts to make up for a restart.
 *
 * What the probe sees is what counts. libtelemetry reads no reply, so a record is *accepted* as
 * soon as the connection was made, the frame written whole, and the connection closed without an
 * error (here: our end shut down, the agent's end closed, no error on the way). Every other
 * outcome leaves the probe knowing the hand-over failed: `refused` (no connection: the agent was
 * down or restarting), `cut` (connected, then an error: the agent died with the frame unread, or
 * the connection stayed open longer than PROBE_TIMEOUT_MS).
 *
 * Every record is unique: its payload is "rel-<seq>-<filler>" and it carries its own event id, so
 * the collector's rows, the delivery requests and the agent's journal all map back to a sequence
 * number.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame } from '../../engine/record/frame.js';
import { createPrng, type Prng } from './prng.js';
import { testRecord } from '../helpers/records.js';

export type ProbeOutcome = 'accepted' | 'refused' | 'cut';

export interface SentRecord {
  readonly seq: number;
  readonly payload: string;
  readonly eventId: string;
  /** Null while the probe is still handing it over. */
  outcome: ProbeOutcome | null;
  /** performance.now() when the hand-over ended (the connection closed), null before. */
  closedAt: number | null;
}

export interface RecordStream {
  /** Every record a probe tried to hand over, by sequence number. */
  readonly records: ReadonlyMap<number, SentRecord>;
  /** Sequence numbers whose connect, write and close succeeded at the probe. */
  readonly accepted: ReadonlySet<number>;
  /** The sequence number of a record by its event id (undefined for anything the stream did not send). */
  seqOfEvent(eventId: string): number | undefined;
  counts(): { readonly attempted: number; readonly accepted: number; readonly refused: number; readonly cut: number };
  /** Records attempted per second since the start (until stop), pauses left out. */
  achievedRate(): number;
  /** Holds every probe before its next record; resolves once the hand-overs under way are done. */
  pause(): Promise<void>;
  /** The probes go on, on a fresh schedule (no burst for the records the pause skipped). */
  resume(): void;
  /** Stops after the records in flight. */
  stop(): Promise<void>;
}

export interface RecordStreamOptions {
  readonly socketPath: string;
  /** Draws one number: the payload sizes follow from it and the sequence number alone, whatever order the probes run in. */
  readonly prng: Prng;
  /** Concurrent probes. */
  readonly probes: number;
  /** Target rate across all probes, records/s. */
  readonly ratePerSecond: number;
  /** Largest random filler added to a payload, in bytes. */
  readonly maxFiller: number;
  readonly classification?: string;
}

const FILLER = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** A probe this far behind its schedule drops the rest of its lag instead of bursting. */
const MAX_LAG_MS = 250;
/** A hand-over still not closed after this long counts as cut (the probe gives up). */
const PROBE_TIMEOUT_MS = 30_000;

/** The sequence number a stream payload carries, or null for anything else. */
export function sequenceOf(payload: string): number | null {
  const match = /^rel-(\d+)-/.exec(payload);
  return match ? Number(match[1]) : null;
}

/** connect, write the whole frame, close: 'accepted' only when all three succeeded. */
function handOver(socketPath: string, frame: Buffer): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let connected = false;
    let failed = false;
    const timer = setTimeout(() => {
      failed = true;
      socket.destroy();
    }, PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      connected = true;
      socket.end(frame);
    });
    socket.on('error', () => {
      failed = true;
    });
    socket.once('close', (hadError) => {
      clearTimeout(timer);
      resolve(!connected ? 'refused' : failed || hadError ? 'cut' : 'accepted');
    });
  });
}

export function startRecordStream(options: RecordStreamOptions): RecordStream {
  const records = new Map<number, SentRecord>();
  const byEvent = new Map<string, number>();
  const accepted = new Set<number>();
  const counts = { attempted: 0, accepted: 0, refused: 0, cut: 0 };
  const intervalMs = 1000 / options.ratePerSecond;
  const sizeSeed = Math.floor(options.prng.next() * 0x100000000);
  const startedAt = performance.now();
  let stoppedAt: number | null = null;
  /** Record `seq` is due at origin + seq × interval; the origin moves forward when the probes fall behind. */
  let origin = startedAt;
  let next = 0;
  let running = true;
  let paused: { readonly resumed: Promise<void>; readonly resume: () => void; readonly since: number } | null = null;
  let pausedMs = 0;
  const handing = new Set<Promise<ProbeOutcome>>();

  const probe = async (): Promise<void> => {
    while (running) {
      while (paused && running) await paused.resumed;
      if (!running) break;
      const seq = next++;
      const lateBy = performance.now() - (origin + seq * intervalMs);
      if (lateBy < 0) await sleep(-lateBy);
      else if (lateBy > MAX_LAG_MS) origin += lateBy - MAX_LAG_MS;
      while (paused && running) await paused.resumed;
      if (!running) break;
      const length = createPrng((sizeSeed ^ Math.imul(seq, 0x9e3779b1)) >>> 0).int(0, options.maxFiller);
      let filler = '';
      for (let index = 0; index < length; index += 1) filler += FILLER[(seq + index * 7) % FILLER.length];
      const payload = `rel-${seq}-${filler}`;
      const record = testRecord({ payload, ...(options.classification ? { classification: options.classification } : {}) });
      const sent: SentRecord = { seq, payload, eventId: record.headers.event_id, outcome: null, closedAt: null };
      records.set(seq, sent);
      byEvent.set(sent.eventId, seq);
      counts.attempted += 1;
      const handOff = handOver(options.socketPath, encodeFrame(record, { configPath: null }));
      handing.add(handOff);
      sent.outcome = await handOff;
      sent.closedAt = performance.now();
      handing.delete(handOff);
      counts[sent.outcome] += 1;
      if (sent.outcome === 'accepted') accepted.add(seq);
    }
  };
  const probes = Array.from({ length: options.probes }, () => probe());
  return {
    records,
    accepted,
    seqOfEvent: (eventId) => byEvent.get(eventId),
    counts: () => ({ ...counts }),
    achievedRate: () => (counts.attempted * 1000) / ((stoppedAt ?? performance.now()) - startedAt - pausedMs),
    async pause() {
      if (!paused) {
        let resume = (): void => undefined;
        const resumed = new Promise<void>((resolve) => (resume = resolve));
        paused = { resumed, resume, since: performance.now() };
      }
      await Promise.all([...handing]);
    },
    resume() {
      const gate = paused;
      paused = null;
      if (gate) pausedMs += performance.now() - gate.since;
      // The next record is due now: the records the pause skipped are not made up for.
      origin = performance.now() - next * intervalMs;
      gate?.resume();
    },
    async stop() {
      running = false;
      paused?.resume();
      stoppedAt ??= performance.now();
      await Promise.all(probes);
    },
  };
}
