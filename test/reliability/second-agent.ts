/**
 * A second `telem run` started on the root (and policy) of an agent that is running: it must
 * refuse to start — exit by itself with a non-zero status — and leave the running agent alone:
 * its spool (the segment it appends to, every record it had not settled) and its socket.
 * Behaviour is checked, not log wording.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { readSpoolSnapshot } from './spool-snapshot.js';

export interface SecondAgentAttempt {
  /** Still running after the wait (it was killed then): it did not refuse. */
  readonly stillRunning: boolean;
  /** The exit status when it exited by itself (null for a signal). */
  readonly exitCode: number | null;
  readonly ms: number;
  /** The segment the running agent appends to is gone afterwards. */
  readonly currentSegmentGone: boolean;
  /** Event ids of records unsettled before the attempt that are afterwards neither in the spool nor delivered. */
  readonly recordsGone: readonly string[];
  /** The running agent no longer takes connections on its socket afterwards. */
  readonly socketLost: boolean;
  /** The last lines it wrote to stderr, for a failure message. */
  readonly stderrTail: string;
}

export interface SecondAgentOptions {
  readonly root: string;
  readonly policy: string;
  readonly spoolDir: string;
  readonly socketPath: string;
  /** Whether the collector has stored the record with this event id (a record may leave the spool for that reason). */
  readonly delivered: (eventId: string) => boolean;
  /** How long it may take to give up, ms. */
  readonly timeoutMs: number;
}

function connects(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function attemptSecondAgent(options: SecondAgentOptions): Promise<SecondAgentAttempt> {
  const before = await readSpoolSnapshot(options.spoolDir);
  const started = Date.now();
  const child = spawn(process.execPath, [cliEntry, '--root', options.root, 'run', '--policy', options.policy], {
    cwd: repoRoot,
    env: { ...process.env, TELEM_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.timeoutMs)))]);
  clearTimeout(timer);
  if (gaveUp) {
    child.kill('SIGKILL');
    await exited;
  }
  const exitCode = gaveUp ? null : await exited;
  const ms = Date.now() - started;
  const after = await readSpoolSnapshot(options.spoolDir);
  // The running agent appends to one segment only: the one holding the newest entry.
  const current = before.entries.at(-1)?.segment;
  const present = new Set(after.entries.map((entry) => entry.id));
  const recordsGone = before.unsettled.filter((entry) => !present.has(entry.id) && !options.delivered(entry.eventId)).map((entry) => entry.eventId);
  return {
    stillRunning: gaveUp,
    exitCode,
    ms,
    currentSegmentGone: current !== undefined && !after.segments.includes(current),
    recordsGone,
    socketLost: !(await connects(options.socketPath)),
    stderrTail: stderr.split('\n').slice(-6).join('\n'),
  };
}
