/**
 * The agent's status record (classification org.telem/agent/status) as the collector reads it:
 * its payload is JSON naming the policy channel, the sequence the agent runs (active), the one
 * before it and the one it is moving to, its state and the last failure. The collector keeps the
 * latest one per machine (storage migration 4, the fleet_status table) for GET /api/fleet.
 */
import { z } from 'zod';
import { FLEET_STATES, ROLLOUT_ARMS, ROLLOUT_STATES, type StatusReport } from './states.js';

const sequence = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const isoTime = z
  .string()
  .max(40)
  .refine((value) => Number.isFinite(Date.parse(value)), { error: 'expected an ISO 8601 time' });

/**
 * The rollout part (docs/rollout.md): what the collector needs to judge a step, checked so one odd agent cannot poison a rollout's view.
 * Not the manifest's strict schema (engine/fleet/rollout.ts): fields a newer agent adds are let through, not a reason to drop its status.
 */
const rolloutSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  sequence,
  arm: z.enum(ROLLOUT_ARMS),
  step: z.number().int().nonnegative().max(1000).nullable(),
  state: z.enum(ROLLOUT_STATES),
  gate: z.object({ name: z.string().min(1).max(100), value: z.number().nullable(), threshold: z.number().nullable() }).nullable(),
  spec: z.object({
    start: isoTime,
    deadline: isoTime.nullable(),
    steps: z
      .array(z.object({ percent: z.number().gt(0).max(100), bake: count, max_failure_rate: z.number().min(0).max(1), begins: isoTime }))
      .min(1)
      .max(1000),
    gates: z.object({
      max_delivery_failure_ratio: z.number().min(0).max(1),
      max_drops: z.record(z.string().min(1).max(100), count),
      max_spool_growth: count,
      max_restarts: count,
      compare_factor: z.number().min(1),
    }),
  }),
});

const countersSchema = z.object({ accepted: count, delivered: count, failed: count.default(0), dropped: z.record(z.string().max(100), count) });

/** Only what the fleet view reads is checked; health is kept as sent, in the stored record. */
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
  counters: countersSchema.optional(),
  // Agents before staged rollouts send no rollout.
  rollout: rolloutSchema.nullable().default(null),
});

/** A status payload read, or why it cannot be (the record is still stored; only the fleet view skips it). */
export type StatusReading = { readonly ok: true; readonly status: StatusReport } | { readonly ok: false; readonly reason: string };

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
  const { agent_version, policy, counters, rollout } = parsed.data;
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
      counters: {
        accepted: counters?.accepted ?? 0,
        delivered: counters?.delivered ?? 0,
        failed: counters?.failed ?? 0,
        dropped: Object.values(counters?.dropped ?? {}).reduce((sum, n) => sum + n, 0),
      },
      rollout,
    },
  };
}
