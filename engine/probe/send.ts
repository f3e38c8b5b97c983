/**
 * Sending a record to the agent, like tm_send_record(): refuse before connecting when the
 * machine has not opted in (the record never leaves the process), then write one frame on a new
 * connection. The protocol has no reply, but the agent closes the connection only once the record
 * is durable in its spool: waiting for that close is what tells this probe its record is safe
 * (libtelemetry closes at once and never learns).
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isOptedIn } from '../consent/opt-in.js';
import { NOT_OPTED_IN_MESSAGE } from '../consent/files.js';
import { encodeFrame } from '../record/frame.js';
import type { TelemetryRecord } from '../record/fields.js';
import { RecordError } from '../record/problem.js';
import { resolveRoot } from '../paths/root.js';
import { loadProbeSettings } from './settings.js';

export interface SendOptions {
  /** Default $TELEM_ROOT or /. */
  readonly root?: string;
  /** The agent's socket, used as given; default from the machine's policy (see loadProbeSettings). */
  readonly socketPath?: string;
  /** Default from the machine's policy (consent.require_opt_in), which defaults to true. */
  readonly requireOptIn?: boolean;
  /** Give up after this long (default 5000 ms). */
  readonly timeoutMs?: number;
}

export interface SendableRecord extends TelemetryRecord {
  readonly configPath?: string | null;
}

// A full listen backlog answers EAGAIN; libtelemetry retried 100 times too.
const CONNECT_ATTEMPTS = 100;
const RETRY_DELAY_MS = 10;

function writeOnce(socketPath: string, frame: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let connected = false;
    let sent = false;
    const timer = setTimeout(() => {
      socket.destroy();
      const detail = sent ? 'the agent took the record but did not confirm it was stored' : 'timed out';
      reject(Object.assign(new Error(`${detail} within ${timeoutMs} ms`), { code: sent ? 'EUNCONFIRMED' : 'ETIMEDOUT' }));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // The agent closing before it read everything shows up as EPIPE/ECONNRESET once the frame is out.
      if (sent && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) return;
      fail(error);
    });
    socket.once('connect', () => {
      connected = true;
      socket.end(frame, () => {
        sent = true;
      });
    });
    // Nothing is ever sent back; the agent's close (end of stream) is the confirmation.
    socket.on('data', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      if (connected && sent) resolve();
      else if (connected) reject(Object.assign(new Error('the agent closed the connection before the record was written'), { code: 'ECONNRESET' }));
    });
  });
}

export async function writeFrame(socketPath: string, frame: Buffer, timeoutMs = 5000): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await writeOnce(socketPath, frame, timeoutMs);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && attempt < CONNECT_ATTEMPTS) {
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      if (code === 'EUNCONFIRMED') {
        throw new RecordError({
          code: 'agent-unconfirmed',
          message: `the agent on ${socketPath} took the record but did not confirm within ${timeoutMs} ms that it is stored (it may still be; see telem journal)`,
        });
      }
      const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? ' (is the telem agent running?)' : '';
      throw new RecordError({
        code: 'agent-unreachable',
        message: `could not send the record to ${socketPath}: ${code ?? (error as Error).message}${hint}`,
      });
    }
  }
}

export async function send(record: SendableRecord, options: SendOptions = {}): Promise<void> {
  const root = options.root ?? resolveRoot();
  const frame = encodeFrame(record, { configPath: record.configPath ?? null });
  const needsSettings = options.socketPath === undefined || options.requireOptIn === undefined;
  const settings = needsSettings ? await loadProbeSettings({ root, ...(record.configPath ? { configFile: record.configPath } : {}) }) : null;
  const requireOptIn = options.requireOptIn ?? settings?.requireOptIn ?? true;
  if (requireOptIn && !(await isOptedIn({ root }))) throw new RecordError({ code: 'not-opted-in', message: NOT_OPTED_IN_MESSAGE });
  const socketPath = options.socketPath ?? settings?.socketPath ?? '';
  await writeFrame(socketPath, frame, options.timeoutMs);
}
