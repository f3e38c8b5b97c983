/**
 * The intake: a unix socket speaking libtelemetry's framing (reference §A). One record per
 * connection, nothing is ever written back. Malformed frames are refused with a logged reason
 * and a counter; the server itself never stops serving because of a client.
 *
 * At most `maxConnections` connections are read at once; the others are accepted paused and
 * wait their turn (their bytes stay in the kernel buffer), up to `maxWaiting`. One local user
 * (the peer uid the kernel reports) may hold at most `maxPerUid` of them, and a connection must
 * send its record_size within `firstBytesMs`, so one user trickling bytes on many connections
 * cannot take the socket from everyone else. Refusals are counted, and logged at a bounded rate.
 */
import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import net, { type Server, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../log/logger.js';
import { peerCredentials } from '../native/peer-cred.js';
import { withHeader } from '../record/build.js';
import type { TelemetryRecord } from '../record/fields.js';
import { decodeFrame, DEFAULT_FRAME_LIMITS, type FrameLimits } from '../record/frame.js';
import { type FrameRead, peekFrame, readFrame } from './read-frame.js';
import type { ConsentProvider, MachineIdProvider, RecordSink } from './sink.js';
import { PeerLimits } from './peer-limits.js';
import { RefusalLog } from './refusal-log.js';
import { prepareSocketPath } from './socket-file.js';
import { type Uid, WaitQueue } from './wait-queue.js';
import { emptyRejectCounters, type IntakeStats, type RejectReason } from './stats.js';

export interface IntakeServerOptions {
  /** Absolute path of the socket (already under the root). */
  readonly socketPath: string;
  /** Permissions of the socket file (upstream: 0o666). */
  readonly mode?: number;
  readonly limits?: FrameLimits;
  readonly maxConnections?: number;
  /** Connections allowed to wait for a slot; more are closed as `overloaded`. */
  readonly maxWaiting?: number;
  readonly readTimeoutMs?: number;
  /** Time allowed for a whole frame; defaults to 12 read timeouts. */
  readonly frameDeadlineMs?: number;
  /** Time a connection has to send its record_size (4 bytes) once it is read. */
  readonly firstBytesMs?: number;
  /** Connections (served or waiting) one peer uid may have at once. */
  readonly maxPerUid?: number;
  /** Called for every refused connection, with its reason (not for `empty`: a connect-and-close carries no record). */
  readonly onRefused?: (reason: RejectReason) => void;
  /** Least time between two log lines about refusals of one reason (default 10 s). */
  readonly refusalLogIntervalMs?: number;
  /** Listen on an inherited descriptor (socket activation) instead of creating the socket file. */
  readonly fd?: number;
  readonly sink: RecordSink;
  readonly machineId: MachineIdProvider;
  /** Null when the policy does not require opt-in. */
  readonly consent?: ConsentProvider | null;
  readonly logger?: Logger;
}

const DEFAULT_MAX_CONNECTIONS = 256;
const DEFAULT_READ_TIMEOUT_MS = 5000;
const DEFAULT_FIRST_BYTES_MS = 2000;
const DEFAULT_MAX_PER_UID = 64;
const LISTEN_BACKLOG = 4096;

function ignoreSocketError(): void {
  // Errors are reported through readFrame while reading; afterwards there is nothing to do.
}

export class IntakeServer {
  readonly #options: IntakeServerOptions;
  readonly #limits: FrameLimits;
  readonly #maxConnections: number;
  readonly #maxWaiting: number;
  readonly #readTimeoutMs: number;
  readonly #deadlineMs: number;
  readonly #firstBytesMs: number;
  readonly #logger: Logger;
  readonly #server: Server;
  readonly #waiting = new WaitQueue<Socket>();
  readonly #open = new Set<Socket>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #rejected = emptyRejectCounters();
  readonly #peers: PeerLimits;
  readonly #refusals: RefusalLog;
  #accepted = 0;
  #active = 0;
  #closing = false;

  constructor(options: IntakeServerOptions) {
    this.#options = options;
    this.#limits = options.limits ?? DEFAULT_FRAME_LIMITS;
    this.#maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.#maxWaiting = options.maxWaiting ?? Math.max(1024, 4 * this.#maxConnections);
    this.#readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.#deadlineMs = options.frameDeadlineMs ?? 12 * this.#readTimeoutMs;
    this.#firstBytesMs = options.firstBytesMs ?? DEFAULT_FIRST_BYTES_MS;
    this.#logger = options.logger ?? silentLogger;
    this.#peers = new PeerLimits({ maxPerUid: options.maxPerUid ?? DEFAULT_MAX_PER_UID });
    this.#refusals = new RefusalLog({ logger: this.#logger, intervalMs: options.refusalLogIntervalMs, message: 'record rejected' });
    this.#server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => this.#admit(socket));
    this.#server.on('error', (error) => this.#logger.error({ err: error }, 'intake socket error'));
  }

  get socketPath(): string {
    return this.#options.socketPath;
  }

  /** Whether probes can connect: the server listens and (unless systemd passed the socket) its file is still there. */
  get listening(): boolean {
    return this.#server.listening && !this.#closing && (this.#options.fd !== undefined || existsSync(this.#options.socketPath));
  }

  async listen(): Promise<void> {
    const { fd, socketPath } = this.#options;
    if (fd === undefined) await prepareSocketPath(socketPath);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      const target = fd === undefined ? { path: socketPath, backlog: LISTEN_BACKLOG } : { fd, backlog: LISTEN_BACKLOG };
      this.#server.listen(target, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    if (fd === undefined) await chmod(socketPath, this.#options.mode ?? 0o666);
    this.#logger.info({ socket: socketPath, maxConnections: this.#maxConnections }, 'intake listening');
  }

  /**
   * Stops accepting. With `drain` (the default) connections already accepted are still read
   * and their records handed on; without it they are cut off.
   */
  async close(options: { readonly drain?: boolean } = {}): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (options.drain === false) {
      for (const socket of this.#open) socket.destroy();
      this.#waiting.clear();
    }
    await closed;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    this.#refusals.close();
    if (this.#options.fd === undefined) await rm(this.#options.socketPath, { force: true });
  }

  stats(): IntakeStats {
    return { accepted: this.#accepted, rejected: { ...this.#rejected }, active: this.#active, waiting: this.#waiting.size };
  }

  #admit(socket: Socket): void {
    socket.on('error', ignoreSocketError);
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    // The kernel recorded the peer's credentials at connect(); they hold for the connection's life.
    const uid = peerCredentials(socket)?.uid ?? null;
    if (this.#active < this.#maxConnections && this.#peers.admit(uid)) {
      this.#serve(socket, uid);
      return;
    }
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#waiting.size < this.#maxWaiting) {
      this.#waiting.push(uid, socket);
      return;
    }
    // Full: the user with the most connections waiting makes room, so one user cannot crowd out the rest.
    const evicted = this.#waiting.evictFor(uid);
    if (!evicted) {
      socket.destroy();
      this.#reject('overloaded', `${this.#active} connections served and ${this.#waiting.size} waiting`, 'warn', { uid });
      return;
    }
    evicted.item.destroy();
    this.#reject('peer_limit', `the wait queue is full and uid ${evicted.uid ?? 'unknown'} had the most connections waiting: its newest was closed`, 'warn', { uid: evicted.uid });
    this.#waiting.push(uid, socket);
  }

  #serve(socket: Socket, uid: Uid): void {
    this.#active++;
    const work = this.#handle(socket)
      .catch((error: unknown) => this.#logger.error({ err: error }, 'intake failed on a connection'))
      .finally(() => {
        this.#inFlight.delete(work);
        this.#active--;
        this.#peers.release(uid);
        // Round-robin between users; a user at its share of the slots waits for one of its own to finish.
        const next = this.#waiting.shift((candidate) => this.#peers.admit(candidate));
        if (next) this.#serve(next.item, next.uid);
      });
    this.#inFlight.add(work);
  }

  async #handle(socket: Socket): Promise<void> {
    // Peeked at where possible: the bytes leave the kernel only once the record is in the spool.
    const options = { limits: this.#limits, readTimeoutMs: this.#readTimeoutMs, deadlineMs: this.#deadlineMs, firstBytesMs: this.#firstBytesMs };
    const read = (await peekFrame(socket, options)) ?? (await readFrame(socket, options));
    // From here to the sink's write nothing yields to the event loop: no other connection is read
    // before this record is in the spool, so a crash of the agent cannot lose a record it has read.
    const kept = this.#take(read);
    if (kept === null) {
      socket.destroy();
      return;
    }
    if (read.ok) read.consume?.();
    // One record per connection and no reply: the connection closes once the record is durable,
    // so a probe that waits for the close knows its record is safe (libtelemetry does not wait).
    try {
      await kept;
      this.#accepted++;
      if (read.ok && read.trailingBytes > 0) this.#logger.debug({ bytes: read.trailingBytes }, 'ignored bytes after the frame');
    } catch (error) {
      this.#reject('sink_failed', error instanceof Error ? error.message : String(error), 'error');
    } finally {
      socket.destroy();
    }
  }

  /** Decodes the frame and hands the record on; null when it was refused (and counted). */
  #take(read: FrameRead): Promise<void> | null {
    if (!read.ok) {
      this.#reject(read.reason, read.detail);
      return null;
    }
    const decoded = decodeFrame(read.frame, this.#limits);
    if (!decoded.ok) {
      this.#reject(decoded.reason, decoded.detail);
      return null;
    }
    try {
      if (this.#options.consent && !this.#options.consent.isOptedIn()) {
        this.#reject('not_opted_in', 'this machine has not opted in (/etc/telemetrics/opt-in is missing)');
        return null;
      }
      const record = withHeader(decoded.record, 'machine_id', this.#options.machineId.current());
      return this.#options.sink.accept({ record, configPath: decoded.configPath, receivedAt: Date.now() });
    } catch (error) {
      this.#reject('sink_failed', error instanceof Error ? error.message : String(error), 'error');
      return null;
    }
  }

  /**
   * A record the agent makes itself (its status record): the same consent gate and machine id as a
   * probe's record, then the sink. False when consent keeps it (nothing is counted: no connection
   * was refused).
   */
  async submit(record: TelemetryRecord): Promise<boolean> {
    if (this.#options.consent && !this.#options.consent.isOptedIn()) return false;
    await this.#options.sink.accept({ record: withHeader(record, 'machine_id', this.#options.machineId.current()), configPath: null, receivedAt: Date.now() });
    return true;
  }

  #reject(reason: RejectReason, detail: string, level: 'warn' | 'error' = 'warn', fields: Record<string, unknown> = {}): void {
    this.#rejected[reason]++;
    if (reason === 'empty') {
      this.#logger.debug({ reason, detail }, 'connection closed without a record');
      return;
    }
    this.#options.onRefused?.(reason);
    // A flood of refusals (a hostile client) would otherwise write a line each.
    if (level === 'error') this.#logger.error({ reason, detail, ...fields }, 'record rejected');
    else this.#refusals.refuse(reason, { detail, ...fields });
  }
}

export function createIntakeServer(options: IntakeServerOptions): IntakeServer {
  return new IntakeServer(options);
}
