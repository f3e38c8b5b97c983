/** Agent status records (org.telem/agent/status) as the collector receives them, for the fleet tests. */
import { STATUS_CLASSIFICATION } from '../../engine/collector/fleet/states.js';
import { type CollectorUrl, type RawResponse, postV3, v3Body } from './collector-helpers.js';

export interface StatusOptions {
  readonly machine: string;
  /** Unix seconds. */
  readonly created: number;
  readonly channel?: string;
  readonly active?: number;
  readonly previous?: number | null;
  readonly desired?: number | null;
  readonly state?: string;
  readonly lastFailed?: { sequence: number; reason: string } | null;
  readonly counters?: { accepted: number; delivered: number; failed: number; dropped: Record<string, number> };
  /** The rollout part (docs/rollout.md); left out as agents before staged rollouts did. */
  readonly rollout?: unknown;
}

/** A status payload as the agent writes it. */
export function statusPayload(options: Omit<StatusOptions, 'machine' | 'created'>): string {
  return JSON.stringify({
    format_version: 1,
    agent_version: '0.1.0',
    policy: {
      channel: options.channel ?? 'stable',
      active: options.active ?? 12,
      previous: options.previous === undefined ? 11 : options.previous,
      desired: options.desired === undefined ? null : options.desired,
      state: options.state ?? 'healthy',
      last_failed: options.lastFailed ?? null,
    },
    counters: { ...(options.counters ?? { accepted: 10, delivered: 9, dropped: { rate_limited: 1 } }), spool_bytes: 2048 },
    health: { intake: 'ok', spool: 'ok', destinations: { central: 'ok' } },
    ...(options.rollout === undefined ? {} : { rollout: options.rollout }),
  });
}

/** The v3 body of one machine's status record. */
export function statusBody(options: StatusOptions, payload = statusPayload(options)): Record<string, string> {
  return v3Body(
    {
      classification: STATUS_CLASSIFICATION,
      machine_id: options.machine,
      creation_timestamp: String(options.created),
      event_id: (options.machine + options.created.toString(16))
        .replace(/[^0-9a-f]/g, '')
        .padEnd(32, '0')
        .slice(0, 32),
    },
    payload,
  );
}

/** POSTs one status record (v3) and checks it was stored. */
export async function postStatus(collector: CollectorUrl, options: StatusOptions, payload?: string): Promise<RawResponse> {
  const response = await postV3(collector, statusBody(options, payload));
  if (response.status !== 201) throw new Error(`status record refused: ${response.status} ${response.body.toString()}`);
  return response;
}

/** A rollout's spec as agents report it: two steps of an hour (10%, then 50%) from ten minutes before `created` (unix seconds). */
export function rolloutSpec(created: number, maxFailureRate = 0.25) {
  const start = new Date((created - 600) * 1000);
  return {
    start: start.toISOString(),
    deadline: null,
    steps: [
      { percent: 10, bake: 3_600_000, max_failure_rate: maxFailureRate, begins: start.toISOString() },
      { percent: 50, bake: 3_600_000, max_failure_rate: 0.05, begins: new Date(start.getTime() + 3_600_000).toISOString() },
    ],
    gates: { max_delivery_failure_ratio: 0.2, max_drops: { '*': 0 }, max_spool_growth: 16 * 1024 * 1024, max_restarts: 2, compare_factor: 2 },
  };
}

export interface RolloutReportOptions {
  readonly machine: string;
  readonly created: number;
  readonly arm: 'candidate' | 'stable';
  readonly state: string;
  readonly step?: number | null;
  readonly gate?: { name: string; value: number | null; threshold: number | null } | null;
  readonly counters?: { accepted: number; delivered: number; failed: number; dropped: Record<string, number> };
  /** Default "limits-1", sequence 8. */
  readonly id?: string;
  /** Step 0's; the spec starts ten minutes before T (an hour ago). */
  readonly maxFailureRate?: number;
}

/** An hour before this module was loaded: the spec is the same for every record of a test run. */
const ROLLOUT_CREATED = Math.trunc(Date.now() / 1000) - 3600;

/** POSTs one machine's status record in a staged rollout (docs/rollout.md): on bundle 8 unless it rolled back to 7. */
export function postRolloutStatus(collector: CollectorUrl, options: RolloutReportOptions): Promise<RawResponse> {
  return postStatus(collector, {
    machine: options.machine,
    created: options.created,
    active: options.arm === 'candidate' && options.state !== 'rolled_back' ? 8 : 7,
    state: options.state === 'rolled_back' ? 'rolled_back' : 'healthy',
    counters: options.counters ?? { accepted: 0, delivered: 0, failed: 0, dropped: {} },
    rollout: {
      id: options.id ?? 'limits-1',
      sequence: 8,
      arm: options.arm,
      step: options.step === undefined ? 0 : options.step,
      state: options.state,
      gate: options.gate ?? null,
      spec: rolloutSpec(ROLLOUT_CREATED, options.maxFailureRate),
    },
  });
}
