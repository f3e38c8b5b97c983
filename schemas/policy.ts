/**
 * The policy model: what operators write (the zod input) and what the engine gets after
 * parsing (the zod output: defaults applied, durations in ms, sizes in bytes).
 * This file and the section files beside it are the single source of truth; the JSON Schema
 * and the .d.ts for authors are generated from it.
 */
import { z } from 'zod';
import { collectionSchema } from './collection.js';
import { collectorSchema } from './collector.js';
import { consentSchema } from './consent.js';
import { destinationsSchema } from './destinations.js';
import { fleetSchema } from './fleet.js';
import { intakeSchema } from './intake.js';
import { retentionSchema } from './retention.js';
import { routesSchema } from './routes.js';
import { spoolSchema } from './spool.js';

export const API_VERSION = 'telem/v1';

export const metadataSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'policy names use letters, digits, ".", "_" and "-"' })
      .describe('Name of the policy, such as "fleet-default".'),
    revision: z.number().int().nonnegative().default(0).describe('Revision number; raise it with every change so journals and fleets can tell versions apart.'),
    description: z.string().default('').describe('What this policy is for, in a sentence.'),
  })
  .describe('Identity of the policy.');

export const policySchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by telem.'),
    apiVersion: z.literal(API_VERSION, { error: `expected apiVersion "${API_VERSION}"` }).describe('Version of the policy format.'),
    kind: z.literal('Policy', { error: 'expected kind "Policy"' }).describe('Kind of document.'),
    metadata: metadataSchema,
    consent: consentSchema,
    collection: collectionSchema,
    intake: intakeSchema,
    spool: spoolSchema,
    destinations: destinationsSchema,
    routes: routesSchema,
    retention: retentionSchema,
    fleet: fleetSchema,
    collector: collectorSchema,
  })
  .describe('A telem policy: consent, collection, intake, spool, destinations, routes, retention, fleet rollout and the collector.');

/** A policy as written by its author (units as text, defaults left out). */
export type PolicyInput = z.input<typeof policySchema>;
/** A policy after schema parsing: defaults applied, units converted. */
export type ParsedPolicy = z.output<typeof policySchema>;
