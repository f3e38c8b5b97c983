/**
 * The rollout file of `telem bundle build --rollout FILE` (docs/rollout.md): steps of a growing
 * share of the fleet, each baked for a while, with the gates every baking agent checks. The
 * resolved form goes into the signed manifest (engine/fleet/rollout.ts).
 */
import { z } from 'zod';
import { durationSchema, sizeSchema } from './units.js';

const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const rolloutStepSchema = z
  .strictObject({
    percent: z.number().gt(0).max(100).describe('Share of the fleet (by cohort bucket) on the new bundle once this step begins, above 0 and at most 100.'),
    bake: durationSchema.prefault('1h').describe('How long a machine that takes the bundle in this step watches its gates; the next step begins this long after this one.'),
    max_failure_rate: z.number().min(0).max(1).default(0.05).describe("Share of this step's machines that may fail or roll back before the collector halts the rollout (0…1)."),
  })
  .describe('One step of a staged rollout.');

export const rolloutGatesSchema = z
  .strictObject({
    max_delivery_failure_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Failed delivery requests over all delivery requests made during the bake, above which the agent rolls back (0…1).'),
    max_drops: z
      .record(z.string().min(1), z.number().int().nonnegative())
      .default({ '*': 0 })
      .describe(
        'Records dropped during the bake that the agent tolerates, per drop reason ("spool_full", "rejected", "expired", …); "*" is for every reason not named (0 when absent). ' +
          "Drops the policy decides (no_route, denied, not_allowed, below_min_severity, not_opted_in, rate_limited) count only when named here; the collector's arm comparison watches them fleet-wide.",
      ),
    max_spool_growth: sizeSchema.prefault('16MiB').describe('How much the spool may grow during the bake (records waiting for a destination) before the agent rolls back.'),
    max_restarts: z.number().int().nonnegative().default(2).describe('Agent starts during one bake tolerated before it counts as a crash loop and rolls back.'),
    compare_factor: z
      .number()
      .min(1)
      .default(2)
      .describe("The collector halts the rollout when the candidate arm's delivery failure or drop ratio is above the stable arm's times this factor (and above 1%)."),
  })
  .prefault({})
  .describe('Health gates on the data path, checked by each agent during its bake.');

export const rolloutSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema this file is written against (editors read it; telem ignores it).'),
    id: z
      .string()
      .max(100)
      .regex(ROLLOUT_ID, { error: 'rollout ids use letters, digits, ".", "_" and "-" (at most 100)' })
      .describe('Names the rollout and draws its cohorts: another id picks other machines first.'),
    start: z.iso.datetime({ offset: true }).optional().describe('When the first step begins (ISO 8601); by default when the bundle is built.'),
    steps: z
      .array(rolloutStepSchema)
      .min(1)
      .superRefine((steps, context) => {
        steps.forEach((step, index) => {
          const before = steps[index - 1];
          if (before !== undefined && step.percent <= before.percent) {
            context.addIssue({
              code: 'custom',
              path: [index, 'percent'],
              message: `step ${index} covers ${step.percent}%, not more than step ${index - 1} before it (${before.percent}%)`,
              input: step,
            });
          }
        });
      })
      .describe('Steps in order, each covering more of the fleet than the one before.'),
    gates: rolloutGatesSchema,
    deadline: z.iso.datetime({ offset: true }).optional().describe('After this time (ISO 8601) machines that have not taken the bundle never take it; those on it stay.'),
  })
  .superRefine((rollout, context) => {
    if (rollout.start !== undefined && rollout.deadline !== undefined && Date.parse(rollout.deadline) <= Date.parse(rollout.start)) {
      context.addIssue({ code: 'custom', path: ['deadline'], message: `the deadline ${rollout.deadline} is not after the start ${rollout.start}`, input: rollout.deadline });
    }
  })
  .describe('A staged rollout of a signed bundle (telem bundle build --rollout FILE).');

export type RolloutFile = z.infer<typeof rolloutSchema>;
export type RolloutGates = z.infer<typeof rolloutGatesSchema>;
