import { z } from 'zod';
import { classificationGlobSchema, severitySchema } from './classification.js';
import { UPSTREAM_TID } from './destinations.js';
import { durationSchema, sizeSchema } from './units.js';

const keepError = 'expected a duration such as "35d" or "forever"';
/** A duration, or "forever" (output: null) for records that are never purged. */
const maxAgeSchema = z
  .union([durationSchema, z.literal('forever')], { error: keepError })
  .transform((value) => (value === 'forever' ? null : value));

export const tenantSchema = z
  .strictObject({
    tid: z.string().min(1).describe('Tenant id clients send in X-Telemetry-TID (compared exactly, case-sensitive, as upstream).'),
    tokens: z
      .array(z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected "sha256:" and the 64 hex digits of the token\'s SHA-256' }))
      .default([])
      .describe(
        'When not empty, requests for this tenant need "Authorization: Bearer <token>" with one of these tokens. Tokens are ' +
          'stored as "sha256:<hex digest>" so the policy file holds no secret (printf %s TOKEN | sha256sum).',
      ),
  })
  .describe('A tenant the collector accepts records for.');

export const collectorRetentionRuleSchema = z
  .strictObject({
    classification: classificationGlobSchema
      .default('*')
      .describe('Records whose classification matches this pattern; "*" matches every record.'),
    severity: z
      .union([severitySchema, z.null()])
      .default(null)
      .describe('Records of this severity (1 low … 4 critical); null for any severity.'),
    max_age: maxAgeSchema.describe('Age (by reception time) after which matching records are purged; "forever" keeps them and exempts them from the global max_age.'),
  })
  .describe('Retention for the records a rule matches (upstream PURGE_FILTERED_RECORDS).');

export const collectorSchema = z
  .strictObject({
    listen: z
      .string()
      .regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: 'expected HOST:PORT, such as "127.0.0.1:8080" or "[::1]:8080"' })
      .default('127.0.0.1:8080')
      .describe('Address the collector listens on, HOST:PORT (port 0 picks a free one).'),
    database: z
      .string()
      .regex(/^(?:sqlite:.+|postgres(?:ql)?:\/\/.+)$/, { error: 'expected "sqlite:PATH" or a "postgres://" URL' })
      .default('sqlite:/var/lib/telem/collector.db')
      .describe('Where records are stored: "sqlite:PATH" (embedded, one process) or a "postgres://user:password@host/db" URL (many collectors may share it).'),
    query_timeout: durationSchema
      .prefault('10s')
      .describe(
        'Longest a read of the query API or UI may run (each page of an export counts on its own); a longer one is stopped and answered 503. ' +
          'Reads never hold up ingest: they run on reader threads (SQLite) or connections of their own (PostgreSQL).',
      ),
    max_body: sizeSchema.prefault('1MiB').describe('Largest request body accepted; larger requests get 413.'),
    tenants: z
      .array(tenantSchema)
      .prefault([{ tid: UPSTREAM_TID }])
      .describe('Tenants accepted; a record whose X-Telemetry-TID is none of them gets 400 "Telemetry ID mismatch" (upstream TELEMETRY_ID). An empty list rejects every record.'),
    retention: z
      .strictObject({
        interval: durationSchema.prefault('1h').describe('How often old records are purged (also once at start).'),
        max_age: maxAgeSchema
          .prefault('35d')
          .describe('Records matching no rule are purged after this age (upstream MAX_DAYS_KEEP_UNFILTERED_RECORDS: 35 days).'),
        rules: z
          .array(collectorRetentionRuleSchema)
          .prefault([{ classification: 'org.clearlinux/hello/world', max_age: '1d' }])
          .describe('Per-classification or per-severity ages. A record matching several rules is purged by the shortest age among them.'),
      })
      .prefault({})
      .describe('Retention on the collector: purge by age, per classification pattern, on a schedule.'),
  })
  .prefault({})
  .describe('Collector: the server receiving records (v2 headers and v3 JSON), its storage and retention.');
