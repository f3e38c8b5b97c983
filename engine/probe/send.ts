/**
 * Sending a record to the agent, like tm_send_record(): refuse before connecting when the
 * machine has not opted in (the record never leaves the process), then write one frame on a new
 * connection and close it. The protocol has no reply; a resolved promise means the frame was
 * handed to the kernel for the agent's socket.
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
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once('connect', () => {
      socket.end(frame, () => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      });
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
