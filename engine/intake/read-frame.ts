/**
 * Reads one frame from a connection, however the client split it: upstream telemprobd gave up
 * at the first short read (reference §A.3, §G.10); here chunks are gathered until record_size
 * bytes arrived, the client went silent for the read timeout, or the frame deadline passed.
 */
import type { Socket } from 'node:net';
import { consumeSocket, peekSocket, peerDone } from '../native/socket-read.js';
import { checkFrameSize, maxFrameSize, SIZE_FIELD_BYTES, type FrameLimits } from '../record/frame.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';
import type { RejectReason } from './stats.js';

export interface FrameReadOptions {
  readonly limits: FrameLimits;
  /** Longest silence between two reads. */
  readonly readTimeoutMs: number;
  /** Longest time for the whole frame, so trickling a byte at a time cannot hold a slot forever. */
  readonly deadlineMs: number;
  /** Longest time until the record_size field (the first four bytes) is in: libtelemetry sends the frame at once. */
  readonly firstBytesMs?: number;
}

export type FrameRead =
  /** `consume`: the frame was only peeked at; takes its bytes off the socket (call once the record is kept). */
  | { readonly ok: true; readonly frame: Buffer; readonly trailingBytes: number; readonly consume?: () => void }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

export function readFrame(socket: Socket, options: FrameReadOptions): Promise<FrameRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let size = -1;
    let settled = false;
    // Own timers rather than socket.setTimeout: a policy may ask for more than a Node timer holds.
    let idle: LongTimeout | null = null;

    const finish = (result: FrameRead): void => {
      if (settled) return;
      settled = true;
      deadline.clear();
      firstBytes?.clear();
      idle?.clear();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      resolve(result);
    };
    const onIdle = (): void => {
      // Timers run before pending reads in an event-loop turn: after a stall of the agent's own
      // loop, bytes may be waiting unread. Look once more after the poll phase before giving up.
      const seen = received;
      setImmediate(() => {
        if (received === seen) finish({ ok: false, reason: 'timeout', detail: `no data for ${options.readTimeoutMs} ms after ${received} bytes` });
        else armIdle();
      });
    };
    const armIdle = (): void => {
      idle?.clear();
      idle = setLongTimeout(onIdle, options.readTimeoutMs);
    };
    const joined = (): Buffer => (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      armIdle();
      if (size < 0 && received >= SIZE_FIELD_BYTES) {
        firstBytes?.clear();
        const head = joined();
        chunks.splice(0, chunks.length, head);
        size = head.readUInt32LE(0);
        const problem = checkFrameSize(size, options.limits);
        if (problem) {
          finish(problem);
          return;
        }
      }
      if (size >= 0 && received >= size) finish({ ok: true, frame: joined().subarray(0, size), trailingBytes: received - size });
    };
    const onEnd = (): void => {
      if (received === 0) finish({ ok: false, reason: 'empty', detail: 'the client closed without sending anything' });
      else if (size < 0) finish({ ok: false, reason: 'truncated', detail: `the client closed after ${received} bytes, before record_size was complete` });
      else finish({ ok: false, reason: 'truncated', detail: `record_size is ${size} but the client closed after ${received} bytes` });
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      finish({ ok: false, reason: 'connection_error', detail: error.code ?? error.message });
    };
    const deadline = setLongTimeout(() => {
      finish({ ok: false, reason: 'timeout', detail: `the frame was not complete after ${options.deadlineMs} ms (${received} bytes)` });
    }, options.deadlineMs);
    const firstBytes =
      options.firstBytesMs === undefined
        ? null
        : setLongTimeout(() => {
            // As for the idle timer: bytes read in this turn's poll phase still count.
            setImmediate(() => {
              if (size < 0) finish({ ok: false, reason: 'slow_start', detail: `record_size not complete ${options.firstBytesMs} ms after connecting (${received} bytes)` });
            });
          }, options.firstBytesMs);

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    armIdle();
    socket.resume();
  });
}

/** Waits between two looks at a connection that sent nothing yet: a few event-loop turns, then growing timers. */
const PEEK_WAITS_MS = [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 50];
/** Looks at a frame that is only partly there before it is read the usual way (a client writing in pieces). */
const PARTIAL_LOOKS = 6;

/**
 * The whole frame as the kernel still holds it, when the client sent it at once (libtelemetry
 * writes the frame right after connecting). Until `consume` is called the bytes stay unread: an
 * agent that dies before it has kept the record leaves them unread, and a probe waiting for the
 * close sees the connection reset instead of a clean close.
 *
 * A client that stays silent is refused here by readFrame's rules (read timeout, first bytes).
 * Null means: read it the usual way with readFrame, which also explains refusals — the peer sent
 * nothing and closed, sent a bad record_size, or writes the frame in pieces (those must be read
 * off the socket as they come: the kernel stops a writer whose small pieces nobody reads).
 */
export async function peekFrame(socket: Socket, options: FrameReadOptions): Promise<FrameRead | null> {
  const { limits } = options;
  const room = maxFrameSize(limits) + 1;
  const started = Date.now();
  let partialLooks = 0;
  for (let attempt = 0; ; attempt += 1) {
    const bytes = peekSocket(socket, room);
    if (bytes !== null && bytes.length === 0) return null;
    if (bytes !== null) {
      if (bytes.length >= SIZE_FIELD_BYTES) {
        const size = bytes.readUInt32LE(0);
        if (checkFrameSize(size, limits)) return null;
        if (bytes.length >= size) return { ok: true, frame: bytes.subarray(0, size), trailingBytes: bytes.length - size, consume: () => consumeSocket(socket, bytes.length) };
      }
      partialLooks += 1;
      if (partialLooks >= PARTIAL_LOOKS || peerDone(socket)) return null;
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    const silentMs = Date.now() - started;
    if (silentMs >= options.readTimeoutMs) return { ok: false, reason: 'timeout', detail: `no data for ${options.readTimeoutMs} ms after 0 bytes` };
    if (options.firstBytesMs !== undefined && silentMs >= options.firstBytesMs) {
      return { ok: false, reason: 'slow_start', detail: `record_size not complete ${options.firstBytesMs} ms after connecting (0 bytes)` };
    }
    const wait = PEEK_WAITS_MS[Math.min(attempt, PEEK_WAITS_MS.length - 1)] as number;
    await new Promise((resolve) => (wait === 0 ? setImmediate(resolve) : setTimeout(resolve, wait)));
  }
}
