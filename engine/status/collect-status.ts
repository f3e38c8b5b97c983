/**
 * What `telem status` reports: consent, machine id, and what the running agent says about itself
 * (its status file): the policy it runs, its spool, each destination's health, drops and
 * refusals. When no agent runs, the saved counters and the policy a start would load.
 */
import { rolloutStatus } from '../fleet-agent/rollout-progress.js';
import { formatDuration } from '../../schemas/units.js';
import { policyHash, readAppliedPolicy } from '../agent/applied-policy.js';
import { PersistentCounters } from '../agent/counters.js';
import type { DestinationHealth } from '../agent/destination-health.js';
import { type RuntimeStatus, readStatusFile, statusFilePath } from '../agent/status-file.js';
import { describeMachineId } from '../consent/machine-id.js';
import { isOptedIn, optInPath } from '../consent/opt-in.js';
import { isListening } from '../intake/socket-file.js';
import { loadProbeSettings } from '../probe/settings.js';
import type { FleetStatus } from '../fleet-agent/client.js';
import { FleetStore } from '../fleet-agent/store.js';

export interface StatusReport {
  readonly optedIn: boolean;
  readonly optInFile: string;
  readonly machineId: {
    readonly id: string | null;
    readonly source: 'static' | 'file' | 'none';
    readonly file: string;
    readonly assignedAt: string | null;
    readonly rotateEvery: string | null;
  };
  readonly agent: {
    readonly socket: string;
    readonly listening: boolean;
    /** The agent's own status file says it runs, and its process is there. */
    readonly running: boolean;
    readonly pid: number | null;
    readonly startedAt: string | null;
    /** When the agent last wrote its status. */
    readonly updatedAt: string | null;
    /** running, stopped (cleanly), died (its process is gone without a clean stop), or never (no agent ran under this root). */
    readonly state: 'running' | 'stopped' | 'died' | 'never';
    readonly statusFile: string;
  };
  /** The running agent's policy; when none runs, the one a start would load. */
  readonly policy: {
    readonly name: string;
    readonly revision: number;
    readonly source: string | null;
    /** The hash of its resolved settings (the agent's applied-policy file has the same). */
    readonly sha256: string | null;
  } | null;
  readonly spool: RuntimeStatus['spool'] | null;
  readonly destinations: Readonly<Record<string, DestinationHealth>>;
  /** Records not delivered, by reason, since the counters were first kept on this machine. */
  readonly drops: Readonly<Record<string, number>>;
  /** Connections the intake refused, by reason, likewise. */
  readonly refused: Readonly<Record<string, number>>;
  /**
   * Fleet bundles: the running agent's fleet client; when none runs, what it saved under
   * /var/lib/telem/fleet/ (nextPollAt null). Null when no fleet source was ever followed here.
   */
  readonly fleet: FleetStatus | null;
  /** The built-in probes the running agent's policy enables, and what each handed in; null when no agent runs. */
  readonly probes: NonNullable<RuntimeStatus['probes']> | null;
}

function savedFleet(root: string): FleetStatus | null {
  const saved = new FleetStore(root).readState();
  if (saved.channel === null && saved.active === null && saved.lastPollAt === null) return null;
  const { channel, state, active, previous, desired, lastFailed, lastPollAt, lastDownloadAt, lastActivationAt, lastError } = saved;
  const rollout = rolloutStatus(saved.rollout, Date.now());
  return { source: null, channel, state, active, previous, desired, lastFailed, lastPollAt, lastDownloadAt, lastActivationAt, lastError, nextPollAt: null, rollout };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function policyAStartWouldLoad(root: string): Promise<StatusReport['policy']> {
  const { loadAgentPolicy } = await import('../load/agent-policy.js');
  const { policy } = await loadAgentPolicy({ root });
  return policy ? { name: policy.metadata.name, revision: policy.metadata.revision, source: policy.source, sha256: policyHash(policy) } : null;
}

export async function collectStatus(root: string): Promise<StatusReport> {
  const settings = await loadProbeSettings({ root });
  const file = readStatusFile(root);
  const alive = file !== null && processExists(file.pid);
  const running = file?.state === 'running' && alive;
  const socket = running ? file.socket : settings.socketPath;
  const [optedIn, machine, listening] = await Promise.all([isOptedIn({ root }), describeMachineId({ root }), isListening(socket)]);
  // A running agent's own totals are current to the second; otherwise the saved counters.
  const totals = running ? { drops: file.drops, refusals: file.intake.refused } : new PersistentCounters({ root }).totals();
  const state: StatusReport['agent']['state'] = file === null ? 'never' : running ? 'running' : file.state === 'stopped' ? 'stopped' : 'died';
  return {
    optedIn,
    optInFile: optInPath({ root }),
    machineId: {
      id: machine.id,
      source: machine.source,
      file: machine.file,
      assignedAt: machine.assignedAt?.toISOString() ?? null,
      rotateEvery: machine.source === 'static' ? null : formatDuration(settings.rotateEveryMs),
    },
    agent: {
      socket,
      listening,
      running,
      pid: file?.pid ?? null,
      startedAt: file?.startedAt ?? null,
      updatedAt: file?.updatedAt ?? null,
      state,
      statusFile: statusFilePath(root),
    },
    policy: running ? { ...file.policy, sha256: readAppliedPolicy(root)?.sha256 ?? null } : await policyAStartWouldLoad(root),
    spool: running ? file.spool : null,
    destinations: running ? file.destinations : {},
    drops: totals.drops,
    refused: totals.refusals,
    fleet: running ? (file.fleet ?? null) : savedFleet(root),
    probes: running ? (file.probes ?? {}) : null,
  };
}
