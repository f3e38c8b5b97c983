/**
 * A staged rollout as the signed manifest carries it (docs/rollout.md): the rollout file resolved
 * at build time — start and deadline as ISO times, each step's bake in milliseconds and the time it
 * begins — so every agent reads the same schedule from signed bytes, whatever its clock zone.
 */
import { z } from 'zod';
import { type RolloutFile, rolloutSchema } from '../../schemas/rollout.js';

const isoTime = z.iso.datetime();
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const manifestRolloutSchema = z.strictObject({
  id: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  start: isoTime,
  deadline: isoTime.nullable(),
  steps: z
    .array(
      z.strictObject({
        percent: z.number().gt(0).max(100),
        bake: count,
        max_failure_rate: z.number().min(0).max(1),
        begins: isoTime,
      }),
    )
    .min(1),
  gates: z.strictObject({
    max_delivery_failure_ratio: z.number().min(0).max(1),
    max_drops: z.record(z.string().min(1), count),
    max_spool_growth: count,
    max_restarts: count,
    compare_factor: z.number().min(1),
  }),
});

export type ManifestRollout = z.infer<typeof manifestRolloutSchema>;
export type RolloutStep = ManifestRollout['steps'][number];

/** A rollout file's value checked, or the first problem as one line ("steps.1.percent: …"). */
export function parseRolloutFile(value: unknown): RolloutFile | string {
  const parsed = rolloutSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
  return `${where}${issue?.message ?? 'invalid'}`;
}

/** The manifest's rollout for a checked rollout file; `built` is when the bundle is made (the default start). */
export function resolveRollout(file: RolloutFile, built: Date): ManifestRollout {
  const start = file.start === undefined ? built.getTime() : Date.parse(file.start);
  let begins = start;
  const steps = file.steps.map((step) => {
    const resolved = { percent: step.percent, bake: step.bake, max_failure_rate: step.max_failure_rate, begins: new Date(begins).toISOString() };
    begins += step.bake;
    return resolved;
  });
  return {
    id: file.id,
    start: new Date(start).toISOString(),
    deadline: file.deadline === undefined ? null : new Date(Date.parse(file.deadline)).toISOString(),
    steps,
    gates: { ...file.gates, max_drops: { ...file.gates.max_drops } },
  };
}

/** The step in force at `now` (the last one stays in force once it began); null before the start. */
export function stepAt(rollout: ManifestRollout, now: number): number | null {
  let current: number | null = null;
  rollout.steps.forEach((step, index) => {
    if (Date.parse(step.begins) <= now) current = index;
  });
  return current;
}

/** Whether the deadline has passed at `now`. */
export function pastDeadline(rollout: ManifestRollout, now: number): boolean {
  return rollout.deadline !== null && Date.parse(rollout.deadline) <= now;
}

/** The share of the fleet due at `now`: the current step's percent; 0 before the start and after the deadline. */
export function percentAt(rollout: ManifestRollout, now: number): number {
  const step = stepAt(rollout, now);
  if (step === null || pastDeadline(rollout, now)) return 0;
  return rollout.steps[step]?.percent ?? 0;
}

/** When what is due next changes after `now` (a step begins, or the deadline), in ms; null when nothing more changes. */
export function nextChangeAt(rollout: ManifestRollout, now: number): number | null {
  const times = [...rollout.steps.map((step) => Date.parse(step.begins)), ...(rollout.deadline === null ? [] : [Date.parse(rollout.deadline)])].filter((at) => at > now);
  return times.length === 0 ? null : Math.min(...times);
}

/** When step `index`'s window ends (the next step begins, or its bake after it began for the last one), in ms. */
export function stepEndsAt(rollout: ManifestRollout, index: number): number {
  const step = rollout.steps[index];
  if (step === undefined) throw new RangeError(`no step ${index}`);
  return Date.parse(step.begins) + step.bake;
}
