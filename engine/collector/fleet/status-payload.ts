/**
 * The agent's status record (classification org.telem/agent/status) as the collector reads it:
 * its payload is JSON naming the policy channel, the sequence the agent runs (active), the one
 * before it and the one it is moving to, its state and the last failure. The collector keeps the
 * latest one per machine (storage migration 4, the fleet_status table) for GET /api/fleet.
 */
import { z } from 'zod';
import { type AgentStatus, FLEET_STATES } from './states.js';

const sequence = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Only what the fleet view reads is checked; counters and health are kept as sent, in the stored record. */
const statusPayloadSchema = z.object({
  format_version: z.literal(1),
  agent_version: z.string().max(200),
  policy: z.object({
    channel: z.string().min(1).max(200),
    active: sequence.nullable(),
    previous: sequence.nullable(),
    desired: sequence.nullable(),
    state: z.enum(FLEET_STATES),
    last_failed: z.object({ sequence, reason: z.string().max(2000) }).nullable(),
  }),
});

/** A status payload read, or why it cannot be (the record is still stored; only the fleet view skips it). */
export type StatusReading = { readonly ok: true; readonly status: AgentStatus } | { readonly ok: false; readonly reason: string };

export function readStatusPayload(payload: string): StatusReading {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (error) {
    return { ok: false, reason: `the payload is not JSON (${(error as Error).message})` };
  }
  const parsed = statusPayloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'not a status payload'}` };
  }
  const { agent_version, policy } = parsed.data;
  return {
    ok: true,
    status: {
      agent_version,
      channel: policy.channel,
      active: policy.active,
      previous: policy.previous,
      desired: policy.desired,
      state: policy.state,
      last_failed: policy.last_failed === null ? null : { sequence: policy.last_failed.sequence, reason: policy.last_failed.reason },
    },
  };
}
