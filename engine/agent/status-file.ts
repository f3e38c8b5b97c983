/**
 * The running agent's status, kept in a file so that `telem status` can tell the truth without
 * the opt-in metrics endpoint: which policy (and revision) it runs, its spool, the health of each
 * destination, drops and refusals. Rewritten atomically when it changes (within a second) while the
 * agent runs and once more when it stops; a reader that finds the pid gone knows the agent died.
 */
import fs from 'node:fs';
import { underRoot } from '../paths/root.js';
import { writeFileAtomic } from '../paths/write-atomic.js';
import type { FleetStatus } from '../fleet-agent/client.js';
import type { ProbeName } from '../probes/probe.js';
import type { ProbeStatus } from '../probes/runner.js';
import type { AgentStatus } from './agent.js';

export const STATUS_FILE = '/run/telem/agent-status.json';

export interface RuntimeStatus extends AgentStatus {
  /** running, or stopped (a clean stop); a running status whose pid is gone means the agent died. */
  readonly state: 'running' | 'stopped';
  readonly updatedAt: string;
  readonly socket: string;
  readonly metrics: string | null;
  /** The fleet client's state; null when the local policy has no fleet.source. */
  readonly fleet: FleetStatus | null;
  /** The built-in probes the policy enables, and what each handed in since the start (absent in files of agents before them). */
  readonly probes?: Partial<Record<ProbeName, ProbeStatus>>;
}

export function statusFilePath(root: string): string {
  return underRoot(root, STATUS_FILE);
}

export function writeStatusFile(file: string, status: RuntimeStatus): void {
  // Rewritten often under /run (lost at reboot anyway): no fsync.
  writeFileAtomic(file, `${JSON.stringify(status, null, 2)}\n`, { sync: false });
}

/** How soon the file follows a change, and how long an unchanged status waits between checks at most. */
const FRESH_MS = 1000;
const IDLE_CHECK_MS = 60_000;

/**
 * Keeps the file current; `stop` writes the last state. Failures to write are reported once, never
 * thrown. The file is rewritten only when the status changed: checked a second after the last
 * change, then ever less often while nothing changes (an idle agent must not wake the machine every
 * second), and a second after `touch` (a record arrived) whatever the wait had grown to.
 */
export function keepStatusFile(options: { root: string; status: () => Omit<RuntimeStatus, 'state' | 'updatedAt'>; onError: (error: Error) => void }): {
  touch(): void;
  stop(): void;
} {
  const file = statusFilePath(options.root);
  let failing = false;
  let written = '';
  let waitMs = FRESH_MS;
  let timer: NodeJS.Timeout | null = null;
  let dueAt = 0;
  const write = (state: RuntimeStatus['state'], force: boolean): boolean => {
    const status = options.status();
    const text = JSON.stringify(status);
    if (!force && text === written && !failing) return false;
    try {
      writeStatusFile(file, { ...status, state, updatedAt: new Date().toISOString() });
      written = text;
      failing = false;
    } catch (error) {
      if (!failing) options.onError(error as Error);
      failing = true;
    }
    return true;
  };
  const schedule = (ms: number) => {
    if (timer !== null) clearTimeout(timer);
    dueAt = Date.now() + ms;
    timer = setTimeout(check, ms).unref();
  };
  const check = () => {
    timer = null;
    waitMs = write('running', false) ? FRESH_MS : Math.min(waitMs * 2, IDLE_CHECK_MS);
    schedule(waitMs);
  };
  write('running', true);
  schedule(waitMs);
  return {
    touch() {
      if (timer !== null && dueAt - Date.now() <= FRESH_MS) return;
      waitMs = FRESH_MS;
      schedule(FRESH_MS);
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      write('stopped', true);
    },
  };
}

/** The status an agent last wrote under `root`, or null when none ever ran there (or the file is unreadable). */
export function readStatusFile(root: string): RuntimeStatus | null {
  try {
    return JSON.parse(fs.readFileSync(statusFilePath(root), 'utf8')) as RuntimeStatus;
  } catch {
    return null;
  }
}
