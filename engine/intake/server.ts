/**
 * The intake: a unix socket speaking libtelemetry's framing (reference §A). One record per
 * connection, nothing is ever written back. Malformed frames are refused with a logged reason
 * and a counter; the server itself never stops serving because of a client.
 *
 * At most `maxConnections` connections are read at once; the others are accepted paused and
 * wait their turn (their bytes stay in the kernel buffer), up to `maxWaiting`.
 */
import { chmod, rm } from 'node:fs/promises';
import net, { type Server, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../log/logger.js';
import { withHeader } from '../record/build.js';
import { decodeFrame, DEFAULT_FRAME_LIMITS, type FrameLimits } from '../record/frame.js';
import { type FrameRead, readFrame } from './read-frame.js';
import type { ConsentProvider, MachineIdProvider, RecordSink } from './sink.js';
import { prepareSocketPath } from './socket-file.js';
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
  readonly #logger: Logger;
  readonly #server: Server;
  readonly #waiting: Socket[] = [];
  readonly #open = new Set<Socket>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #rejected = emptyRejectCounters();
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
    this.#logger = options.logger ?? silentLogger;
    this.#server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => this.#admit(socket));
    this.#server.on('error', (error) => this.#logger.error({ err: error }, 'intake socket error'));
  }

  get socketPath(): string {
    return this.#options.socketPath;
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
      this.#waiting.length = 0;
    }
    await closed;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    if (this.#options.fd === undefined) await rm(this.#options.socketPath, { force: true });
  }

  stats(): IntakeStats {
    return { accepted: this.#accepted, rejected: { ...this.#rejected }, active: this.#active, waiting: this.#waiting.length };
  }

  #admit(socket: Socket): void {
    socket.on('error', ignoreSocketError);
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    if (this.#active < this.#maxConnections) this.#serve(socket);
    else if (this.#waiting.length < this.#maxWaiting && !this.#closing) this.#waiting.push(socket);
    else {
      socket.destroy();
      this.#reject('overloaded', `${this.#active} connections served and ${this.#waiting.length} waiting`);
    }
  }

  #serve(socket: Socket): void {
    this.#active++;
    const work = this.#handle(socket)
      .catch((error: unknown) => this.#logger.error({ err: error }, 'intake failed on a connection'))
      .finally(() => {
        this.#inFlight.delete(work);
        this.#active--;
        const next = this.#waiting.shift();
        if (next) this.#serve(next);
      });
    this.#inFlight.add(work);
  }

  async #handle(socket: Socket): Promise<void> {
    const read = await readFrame(socket, { limits: this.#limits, readTimeoutMs: this.#readTimeoutMs, deadlineMs: this.#deadlineMs });
    // From here to the sink's write nothing yields to the event loop: no other connection is read
    // before this record is in the spool, so a crash of the agent cannot lose a record it has read.
    const kept = this.#take(read);
    if (kept === null) {
      socket.destroy();
      return;
    }
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

  #reject(reason: RejectReason, detail: string, level: 'warn' | 'error' = 'warn'): void {
    this.#rejected[reason]++;
    if (reason === 'empty') this.#logger.debug({ reason, detail }, 'connection closed without a record');
    else this.#logger[level]({ reason, detail }, 'record rejected');
  }
}

export function createIntakeServer(options: IntakeServerOptions): IntakeServer {
  return new IntakeServer(options);
}
