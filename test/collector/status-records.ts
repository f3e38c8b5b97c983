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
