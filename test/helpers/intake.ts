/** A real intake server on a temporary socket, with a sink that keeps what it is given. */
import type { TestContext } from 'node:test';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { IntakeServer, type IntakeServerOptions } from '../../engine/intake/server.js';
import type { AcceptedRecord, RecordSink } from '../../engine/intake/sink.js';
import { tempDir } from './tmp.js';

/** Keeps every accepted record in memory, in arrival order. */
export class CollectingSink implements RecordSink {
  readonly records: AcceptedRecord[] = [];

  async accept(record: AcceptedRecord): Promise<void> {
    this.records.push(record);
  }
}

/** A pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export interface RunningIntake {
  readonly server: IntakeServer;
  readonly sink: CollectingSink;
  readonly socketPath: string;
  readonly root: string;
}

export const TEST_MACHINE_ID = '0123456789abcdef0123456789abcdef';

export async function startIntake(t: TestContext, overrides: Partial<IntakeServerOptions> = {}): Promise<RunningIntake> {
  const root = await tempDir(t);
  const sink = new CollectingSink();
  const socketPath = path.join(root, 'run', 'telem-0');
  const server = new IntakeServer({
    socketPath,
    sink,
    machineId: { current: () => TEST_MACHINE_ID },
    ...overrides,
  });
  await server.listen();
  t.after(() => server.close({ drain: false }));
  return { server, sink, socketPath: overrides.socketPath ?? socketPath, root };
}

/**
 * Writes chunks on one connection (pausing between them) and closes it, as a probe would.
 * Errors from the server closing early are expected in some cases and are returned, not thrown.
 */
export function sendRaw(socketPath: string, chunks: readonly Buffer[], options: { pauseMs?: number; keepOpenMs?: number } = {}): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let failure: string | null = null;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure = error.code ?? error.message;
    });
    socket.on('close', () => resolve(failure));
    const write = async () => {
      for (const [index, chunk] of chunks.entries()) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (options.pauseMs && index < chunks.length - 1) await sleep(options.pauseMs);
      }
      if (options.keepOpenMs) await sleep(options.keepOpenMs);
      socket.end();
    };
    // A failure shows as the socket's error or close, which resolve the promise.
    socket.once('connect', () => void write());
  });
}

/** Polls until the condition holds; fails the test after timeoutMs. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Sends one frame the way libtelemetry does: connect, write, close, without waiting for anything
 * from the agent. Resolves once the client's write and close succeeded (what such a probe knows).
 */
export function sendAndClose(socketPath: string, frame: Buffer): Promise<'written' | string> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let failure: string | null = null;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= error.code ?? error.message;
    });
    socket.once('connect', () => {
      socket.end(frame, () => {
        socket.destroy();
        resolve(failure ?? 'written');
      });
    });
    socket.once('close', () => resolve(failure ?? 'closed before the frame was written'));
  });
}
