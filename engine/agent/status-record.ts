/**
 * The agent's status, sent through its own pipeline so no extra server is needed: a record of
 * classification org.telem/agent/status whose payload is JSON —
 *
 *   { "format_version": 1, "agent_version": "0.1.0",
 *     "policy": { "channel", "active", "previous", "desired", "state", "last_failed": { "sequence", "reason" } | null },
 *     "counters": { "accepted", "delivered", "failed", "dropped": { REASON: N }, "spool_bytes" },
 *     "health": { "intake": "ok", "spool": "ok" | "failing", "destinations": { NAME: "ok" | "failing" | "refusing" | "removed" } },
 *     "rollout": { "id", "sequence", "arm", "step", "state", "gate", "spec" } | null }
 *
 * — emitted at every change of the fleet state and every fleet.status_interval. The counters are
 * what changed since the last status record (spool_bytes is the spool's size now; failed counts
 * delivery requests that failed). `rollout` is where this machine is in a staged rollout
 * (docs/rollout.md): its arm and state, never its cohort bucket. It is handed
 * to the intake like a probe's record (consent gate, machine id), then collection, routes, limits
 * and the journal apply to it as to any record: a policy that does not route it does not send it.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { FleetStatus } from '../fleet-agent/client.js';
import type { RolloutStatus } from '../fleet-agent/rollout-progress.js';
import { agentVersion } from '../fleet/agent-version.js';
import type { Logger } from '../log/logger.js';
import { buildRecord } from '../record/build.js';
import type { TelemetryRecord } from '../record/fields.js';
import type { HostHeaders } from '../record/host.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';
import type { Agent } from './agent.js';

export const STATUS_CLASSIFICATION = 'org.telem/agent/status';
export const STATUS_FORMAT_VERSION = 1;

export interface StatusPayload {
  readonly format_version: 1;
  readonly agent_version: string;
  readonly policy: {
    readonly channel: string;
    readonly active: number | null;
    readonly previous: number | null;
    readonly desired: number | null;
    readonly state: string;
    readonly last_failed: { readonly sequence: number | null; readonly reason: string } | null;
  };
  readonly counters: {
    readonly accepted: number;
    readonly delivered: number;
    readonly failed: number;
    readonly dropped: Readonly<Record<string, number>>;
    readonly spool_bytes: number;
  };
  readonly health: { readonly intake: 'ok'; readonly spool: 'ok' | 'failing'; readonly destinations: Readonly<Record<string, string>> };
  readonly rollout: RolloutStatus | null;
}

export interface StatusReporterOptions {
  readonly agent: Agent;
  readonly host: HostHeaders;
  readonly logger: Logger;
  /** The policy running now (status_interval, and the channel without a fleet source). */
  readonly policy: () => ResolvedPolicy;
  /** The fleet client's status, or null when the local policy has no fleet source. */
  readonly fleet: () => FleetStatus | null;
  /** Whether every component is ok (the state of an agent without a fleet source). */
  readonly healthy: () => boolean;
  /** Hands the record to the intake (consent, machine id, then the agent). */
  readonly submit: (record: TelemetryRecord) => Promise<boolean>;
}

/** Drop counts that grew since `before`. */
function grown(now: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, count] of Object.entries(now)) {
    const delta = count - (before[reason] ?? 0);
    if (delta > 0) out[reason] = delta;
  }
  return out;
}

export class StatusReporter {
  readonly #options: StatusReporterOptions;
  #last: ReturnType<Agent['totals']>;
  #timer: LongTimeout | null = null;
  #stopped = false;
  /** Records on their way to the spool (stop waits for them). */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: StatusReporterOptions) {
    this.#options = options;
    this.#last = { ...options.agent.totals(), accepted: 0, delivered: 0, failed: 0 };
  }

  /** Emits every status_interval from now on. */
  start(): void {
    this.#arm();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.clear();
    return this.#queue;
  }

  /** What the next record would say (and, with `commit`, the counters start again from now). */
  payload(commit = false): StatusPayload {
    const { agent } = this.#options;
    const totals = agent.totals();
    const fleet = this.#options.fleet();
    const status = agent.status();
    const payload: StatusPayload = {
      format_version: STATUS_FORMAT_VERSION,
      agent_version: agentVersion(),
      policy: {
        channel: fleet?.channel ?? this.#options.policy().fleet.channel,
        active: fleet?.active?.sequence ?? null,
        previous: fleet?.previous?.sequence ?? null,
        desired: fleet?.desired ?? null,
        // Without a fleet source (or before a bundle came) the local policy runs: applied, or healthy when every component is.
        state: fleet?.state ?? (this.#options.healthy() ? 'healthy' : 'applied'),
        last_failed: fleet?.lastFailed ? { sequence: fleet.lastFailed.sequence, reason: fleet.lastFailed.reason } : null,
      },
      counters: {
        accepted: totals.accepted - this.#last.accepted,
        delivered: totals.delivered - this.#last.delivered,
        failed: totals.failed - this.#last.failed,
        dropped: grown(totals.dropped, this.#last.dropped),
        spool_bytes: totals.spoolBytes,
      },
      health: {
        intake: 'ok',
        spool: totals.spoolFailing ? 'failing' : 'ok',
        destinations: Object.fromEntries(Object.entries(status.destinations).map(([name, health]) => [name, health.state])),
      },
      rollout: fleet?.rollout ?? null,
    };
    if (commit) this.#last = totals;
    return payload;
  }

  /**
   * Emits one status record now; never throws. The record is routed and spooled before this
   * returns (the intake hands it to the agent at once), so records keep the order of the changes
   * they tell, and each takes the routes in force when it was made.
   */
  emit(): Promise<void> {
    if (this.#stopped) return this.#queue;
    const payload = this.payload(true);
    const record = buildRecord({
      classification: STATUS_CLASSIFICATION,
      severity: 1,
      payloadVersion: STATUS_FORMAT_VERSION,
      host: this.#options.host,
      payload: Buffer.from(JSON.stringify(payload)),
    });
    const logger = this.#options.logger;
    let submitted: Promise<boolean>;
    try {
      submitted = this.#options.submit(record);
    } catch (error) {
      submitted = Promise.reject(error as Error);
    }
    const done = submitted.then(
      (taken) => logger.debug({ state: payload.policy.state, active: payload.policy.active }, taken ? 'status record emitted' : 'status record not emitted: this machine has not opted in'),
      (error: unknown) => logger.warn({ err: error }, 'cannot emit the status record'),
    );
    this.#queue = Promise.all([this.#queue, done]).then(() => undefined);
    this.#arm();
    return this.#queue;
  }

  #arm(): void {
    this.#timer?.clear();
    if (this.#stopped) return;
    this.#timer = setLongTimeout(() => void this.emit(), this.#options.policy().fleet.status_interval).unref();
  }
}
