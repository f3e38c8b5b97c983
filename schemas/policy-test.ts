/**
 * The policy unit test file (`*.policy-test.yaml`) that `telem test` runs: records (or a raw
 * libtelemetry frame) to put through a policy, and what should become of them. Like the policy
 * schema, this zod schema is the only definition; policy-test.schema.json is generated from it.
 */
import { z } from 'zod';
import { RECORD_HEADERS } from '../engine/record/fields.js';
import { severitySchema } from './classification.js';
import { durationSchema } from './units.js';

/** What happened to a record, in the journal's words; `deferred` is delivered after waiting for a rate limit. */
export const TEST_OUTCOMES = [
  'delivered',
  'deferred',
  'dropped:no_route',
  'dropped:rate_limited',
  'dropped:exceeds_byte_limit',
  'dropped:expired',
  'rejected:denied',
  'rejected:not_allowed',
  'rejected:below_min_severity',
  'rejected:payload_too_large',
] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

const outcomeSchema = z.enum(TEST_OUTCOMES);

const headersSchema = z.partialRecord(z.enum(RECORD_HEADERS), z.string()).describe('Header values to use instead of the fixed test ones (machine_id, arch, build, …).');

export const testRecordSchema = z
  .strictObject({
    classification: z.string().min(1).describe('Classification, such as "org.clearlinux/crash/clr".'),
    severity: severitySchema.default(1).describe('Severity, 1 low … 4 critical.'),
    payload: z.string().default('').describe('Payload text as the probe sends it (before redaction).'),
    payload_version: z.number().int().nonnegative().default(1).describe('payload_format_version header.'),
    headers: headersSchema.default({}),
    at: durationSchema.prefault('0s').describe('When the agent takes the record, after the start of the case (such as "90s").'),
  })
  .describe('One record, with fixed header values unless `headers` says otherwise.');

export const recordSeriesSchema = testRecordSchema
  .extend({
    count: z.number().int().min(1).max(1_000_000).describe('How many records.'),
    every: durationSchema.prefault('1s').describe('Time between two records of the series.'),
  })
  .describe('`count` copies of one record, `every` apart, starting at `at`.');

export const recordExpectSchema = z
  .strictObject({
    outcome: outcomeSchema.optional().describe('What becomes of the record at every destination it is routed to.'),
    routes: z.array(z.string()).optional().describe('The routes the record takes, in any order.'),
    destinations: z.array(z.string()).optional().describe('The destinations those routes send it to, in any order.'),
    payload: z.string().optional().describe('The payload as it leaves the machine (after redaction).'),
    body: z
      .record(z.string(), z.union([z.string(), z.record(z.string(), z.string())]))
      .optional()
      .describe('Per destination (http v3 or file): the exact v3 JSON body, as text or as a mapping of its fields.'),
    headers: z.record(z.string(), z.record(z.string(), z.string())).optional().describe('Per http v2 destination: request headers (names in any case) and their exact values.'),
  })
  .describe('What should become of a record.');

export const caseExpectSchema = recordExpectSchema
  .extend({
    first: recordExpectSchema.optional().describe('What should become of the first record (in time order).'),
    last: recordExpectSchema.optional().describe('What should become of the last record (in time order).'),
    counts: z
      .partialRecord(outcomeSchema, z.number().int().nonnegative())
      .optional()
      .describe('How many records end with each outcome (a record whose routes end differently counts under each).'),
  })
  .describe('Expectations; the record-level keys apply to every record of the case.');

export const testCaseSchema = z
  .strictObject({
    name: z.string().min(1).describe('What the case checks, in a sentence.'),
    record: testRecordSchema.optional(),
    records: z
      .union([recordSeriesSchema, z.array(testRecordSchema).min(1)])
      .optional()
      .describe('Several records: a series (count, every) or a list.'),
    frame: z.string().min(1).optional().describe('A raw libtelemetry frame file, relative to this file.'),
    expect: caseExpectSchema,
  })
  .superRefine((testCase, context) => {
    const inputs = (['record', 'records', 'frame'] as const).filter((key) => testCase[key] !== undefined);
    if (inputs.length !== 1) {
      context.addIssue({ code: 'custom', message: `give exactly one of record, records and frame${inputs.length > 1 ? ` (got ${inputs.join(', ')})` : ''}`, path: [] });
    }
  })
  .describe('One test case: input records and what should become of them.');

export const policyTestSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by telem.'),
    policy: z.string().min(1).describe('The policy under test, relative to this file.'),
    headers: headersSchema.default({}).describe('Header values every record of this file gets instead of the fixed test ones.'),
    tests: z.array(testCaseSchema).min(1).describe('The test cases; each starts from an empty agent (no rate limit used).'),
  })
  .describe('Unit tests of one telem policy, run by `telem test`.');

export type PolicyTestFile = z.output<typeof policyTestSchema>;
export type TestCase = z.output<typeof testCaseSchema>;
export type TestRecordInput = z.output<typeof testRecordSchema>;
export type RecordExpect = z.output<typeof recordExpectSchema>;
export type CaseExpect = z.output<typeof caseExpectSchema>;
