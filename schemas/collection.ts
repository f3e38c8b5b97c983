import { z } from 'zod';
import { classificationGlobSchema, severitySchema } from './classification.js';
import { probesSchema } from './probes.js';
import { sizeSchema } from './units.js';

export const redactionRuleSchema = z
  .strictObject({
    pattern: z
      .string()
      .min(1)
      .describe(
        'A JavaScript regular expression (no flags: write [Ee] for either case). A match that backtracks too much is finished ' +
          'on a linear-time engine, so no payload can pin the agent; a pattern that nests repetitions must therefore avoid what ' +
          'that engine cannot run (backreferences, lookaround, repetition counts past 16). Every match in a payload is replaced.',
      ),
    replace: z.string().default('<redacted>').describe('Text that replaces each match; $1-style group references are allowed.'),
  })
  .describe('A redaction rule applied to every payload before it is stored or sent.');

export const collectionSchema = z
  .strictObject({
    allow: z.array(classificationGlobSchema).default(['*']).describe('Classification patterns that may be collected; a record must match at least one.'),
    deny: z.array(classificationGlobSchema).default([]).describe('Classification patterns that are never collected, even when allowed.'),
    min_severity: severitySchema.default(1).describe('Records below this severity (1 low … 4 critical) are not collected.'),
    max_payload: sizeSchema.prefault('8KiB').describe('Largest payload collected; larger records are rejected with a reason, never cut silently.'),
    redact: z.array(redactionRuleSchema).default([]).describe('Redaction rules applied in order to every payload before anything is stored.'),
    probes: probesSchema,
  })
  .prefault({})
  .describe('Collection: which records are taken at all and what is removed from them first.');
