/**
 * A steady stream of records into the agent's socket from several concurrent "probes", one
 * connection per record as libtelemetry does. Every payload is unique ("rel-<n>-<filler>") so the
 * records can be told apart at the collector, and every attempt is remembered, including those
 * whose connection failed: a record cut off by a crash may still have been taken in.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Prng } from './prng.js';
import { testFrame } from '../helpers/records.js';

export interface RecordStream {
  /** Payload of every record a connection was opened for, by sequence number. */
  readonly attempted: Map<number, string>;
  /** Sequence numbers whose frame was written whole and the connection closed without an error. */
  readonly written: Set<number>;
  /** Connections refused (the agent was down): nothing of those records reached it. */
  refused(): number;
  /** Stops after the records in flight. */
  stop(): Promise<void>;
}

export interface RecordStreamOptions {
  readonly socketPath: string;
  readonly prng: Prng;
  readonly senders: number;
  /** Pause after each record per sender, in ms (bounds the load so the collector keeps up). */
  readonly pauseMs: number;
  /** Largest random filler added to a payload, in bytes. */
  readonly maxFiller: number;
  readonly classification?: string;
}

const FILLER = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** The sequence number a stream payload carries, or null for anything else. */
export function sequenceOf(payload: string): number | null {
  const match = /^rel-(\d+)-/.exec(payload);
  return match ? Number(match[1]) : null;
}

function sendOne(socketPath: string, frame: Buffer): Promise<'written' | 'refused' | 'failed'> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let connected = false;
    let failed = false;
    socket.once('connect', () => {
      connected = true;
      socket.end(frame);
    });
    socket.on('error', () => {
      failed = true;
    });
    socket.once('close', () => resolve(!connected ? 'refused' : failed ? 'failed' : 'written'));
  });
}

export function startRecordStream(options: RecordStreamOptions): RecordStream {
  const attempted = new Map<number, string>();
  const written = new Set<number>();
  let refused = 0;
  let next = 0;
  let running = true;
  const sender = async (): Promise<void> => {
    while (running) {
      const seq = next++;
      const length = options.prng.int(0, options.maxFiller);
      let filler = '';
      for (let index = 0; index < length; index += 1) filler += FILLER[(seq + index * 7) % FILLER.length];
      const payload = `rel-${seq}-${filler}`;
      attempted.set(seq, payload);
      const outcome = await sendOne(options.socketPath, testFrame({ payload, ...(options.classification ? { classification: options.classification } : {}) }));
      if (outcome === 'written') written.add(seq);
      if (outcome === 'refused') {
        refused += 1;
        // The agent is restarting: a probe would give up on this record; wait a little before the next.
        await sleep(20);
      } else if (options.pauseMs > 0) {
        await sleep(options.pauseMs);
      }
    }
  };
  const senders = Array.from({ length: options.senders }, () => sender());
  return {
    attempted,
    written,
    refused: () => refused,
    async stop() {
      running = false;
      await Promise.all(senders);
    },
  };
}
