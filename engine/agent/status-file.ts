/**
 * The running agent's status, kept in a file so that `telem status` can tell the truth without
 * the opt-in metrics endpoint: which policy (and revision) it runs, its spool, the health of each
 * destination, drops and refusals. Rewritten atomically every second while the agent runs and once
 * more when it stops; a reader that finds the pid gone knows the agent died.
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
  // Rewritten every second under /run (lost at reboot anyway): no fsync.
  writeFileAtomic(file, `${JSON.stringify(status, null, 2)}\n`, { sync: false });
}

/** Keeps the file current; `stop` writes the last state. Failures to write are reported once, never thrown. */
export function keepStatusFile(options: { root: string; status: () => Omit<RuntimeStatus, 'state' | 'updatedAt'>; onError: (error: Error) => void; intervalMs?: number }): { stop(): void } {
  const file = statusFilePath(options.root);
  let failing = false;
  const write = (state: RuntimeStatus['state']) => {
    try {
      writeStatusFile(file, { ...options.status(), state, updatedAt: new Date().toISOString() });
      failing = false;
    } catch (error) {
      if (!failing) options.onError(error as Error);
      failing = true;
    }
  };
  write('running');
  const timer = setInterval(() => write('running'), options.intervalMs ?? 1000).unref();
  return {
    stop() {
      clearInterval(timer);
      write('stopped');
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
