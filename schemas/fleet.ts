import { z } from 'zod';
import { durationSchema } from './units.js';

export const rolloutStageSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'stage names use letters, digits, ".", "_" and "-"' })
      .describe('Name of the stage, such as "canary".'),
    percent: z.number().min(0).max(100).describe('Share of the fleet running the new bundle once this stage starts.'),
    soak: durationSchema.prefault('1h').describe('How long the stage runs healthy before the next one starts.'),
    max_failure_rate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('Share of machines in the stage that may fail to apply the bundle before it is rolled back everywhere.'),
  })
  .describe('One stage of a staged rollout.');

export const fleetSchema = z
  .strictObject({
    source: z
      .union([z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }), z.null()])
      .default(null)
      .describe('Where signed policy bundles are fetched from; null manages the policy locally only.'),
    trusted_keys: z
      .array(
        z.string().regex(/^ed25519:[A-Za-z0-9+/=_-]{40,}$/, { error: 'expected a key such as "ed25519:<base64 public key>"' }),
      )
      .default([])
      .describe('Public keys whose signatures on bundles are accepted.'),
    poll_interval: durationSchema.prefault('1h').describe('How often the source is checked for a new bundle.'),
    stages: z
      .array(rolloutStageSchema)
      .prefault([
        { name: 'canary', percent: 5, soak: '1h', max_failure_rate: 0.05 },
        { name: 'fleet', percent: 100, soak: '0s', max_failure_rate: 0.05 },
      ])
      .describe('Rollout stages in order, with growing percentages ending at 100.'),
  })
  .prefault({})
  .describe('Fleet: how new policies reach machines as signed, staged bundles.');
