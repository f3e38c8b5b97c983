import { z } from 'zod';
import { classificationGlobSchema, severitySchema } from './classification.js';
import { UPSTREAM_TID } from './destinations.js';
import { durationSchema, sizeSchema } from './units.js';

const keepError = 'expected a duration such as "35d" or "forever"';
/** A duration, or "forever" (output: null) for records that are never purged. */
const maxAgeSchema = z.union([durationSchema, z.literal('forever')], { error: keepError }).transform((value) => (value === 'forever' ? null : value));

const LISTEN_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const LISTEN_ERROR = 'expected HOST:PORT, such as "127.0.0.1:8080" or "[::1]:8080"';

const tokenDigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected "sha256:" and the 64 hex digits of the token\'s SHA-256' });

export const tenantSchema = z
  .strictObject({
    tid: z.string().min(1).describe('Tenant id clients send in X-Telemetry-TID (compared exactly, case-sensitive, as upstream).'),
    tokens: z
      .array(tokenDigestSchema)
      .default([])
      .describe(
        'When not empty, requests for this tenant need "Authorization: Bearer <token>" with one of these tokens. Tokens are ' +
          'stored as "sha256:<hex digest>" so the policy file holds no secret (printf %s TOKEN | sha256sum).',
      ),
  })
  .describe('A tenant the collector accepts records for.');

export const adminTokenSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/, { error: 'expected a name of letters, digits, ".", "_", "@" and "-" (at most 100)' })
      .describe('Who holds the token: recorded as "by" on the halts and resumes made with it.'),
    token: tokenDigestSchema.describe('The token as "sha256:<hex digest>" (printf %s TOKEN | sha256sum), so the settings hold no secret.'),
  })
  .describe("An operator token for the collector's admin endpoints.");

export const collectorRetentionRuleSchema = z
  .strictObject({
    classification: classificationGlobSchema.default('*').describe('Records whose classification matches this pattern; "*" matches every record.'),
    severity: z.union([severitySchema, z.null()]).default(null).describe('Records of this severity (1 low … 4 critical); null for any severity.'),
    max_age: maxAgeSchema.describe('Age (by reception time) after which matching records are purged; "forever" keeps them and exempts them from the global max_age.'),
  })
  .describe('Retention for the records a rule matches (upstream PURGE_FILTERED_RECORDS).');

export const collectorSchema = z
  .strictObject({
    listen: z
      .string()
      .regex(LISTEN_PATTERN, { error: LISTEN_ERROR })
      .default('127.0.0.1:8080')
      .describe('Address the collector listens on, HOST:PORT (port 0 picks a free one). With listen_api set, it serves only ingest and /healthz.'),
    listen_api: z
      .union([z.string().regex(LISTEN_PATTERN, { error: LISTEN_ERROR }), z.null()])
      .default(null)
      .describe(
        'A second address, HOST:PORT, for the web UI, /api/* and /healthz. When set, `listen` serves only ingest ' +
          '(POST /v2/collector, POST /v3/collector, POST /) and /healthz, so only ingest needs to be reachable by the fleet; ' +
          'null serves everything on `listen`.',
      ),
    allowed_hosts: z
      .array(z.string().regex(/^(?:\*|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?)$/, { error: 'expected a host name such as "telemetry.example.org", or "*"' }))
      .default([])
      .describe(
        'Host names the collector answers to, compared with the Host header (without its port, case-insensitively). ' +
          'IP addresses, "localhost" and this machine\'s hostname are always accepted; any other Host gets 421, so a page ' +
          'in a browser cannot read a collector through DNS rebinding. List the names the fleet and operators use ' +
          '(they apply to every path, ingest too); "*" accepts any Host (only behind a proxy that checks it).',
      ),
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
    max_body_memory: sizeSchema
      .prefault('64MiB')
      .describe(
        'Memory for request bodies being received, summed over all connections (a declared Content-Length counts in full ' +
          'from the start). A request that would go over it gets 503 with Retry-After and its connection closed; nothing ' +
          'else is affected. At least max_body.',
      ),
    max_connections: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe('Most connections open at once on each listener; further connections are closed as they arrive (counted in the log).'),
    timeouts: z
      .strictObject({
        headers: durationSchema.prefault('10s').describe('Time a client has to send a request head (any client sends it at once); then 408 and the connection is closed. At most `request`.'),
        request: durationSchema.prefault('30s').describe('Time a client has to send a whole request, head and body; then 408 and the connection is closed (1MiB in 30s is 35KB/s).'),
        idle: durationSchema
          .prefault('60s')
          .describe('A connection moving no bytes either way for this long is closed, also while an answer is being sent to a client that stopped reading.'),
        keep_alive: durationSchema.prefault('5s').describe('How long a connection is kept open after an answer, waiting for the next request.'),
      })
      .prefault({})
      .describe('Deadlines that keep slow, stalled and idle clients from holding connections.'),
    tenants: z
      .array(tenantSchema)
      .prefault([{ tid: UPSTREAM_TID }])
      .describe('Tenants accepted; a record whose X-Telemetry-TID is none of them gets 400 "Telemetry ID mismatch" (upstream TELEMETRY_ID). An empty list rejects every record.'),
    auth: z
      .enum(['tokens', 'none'])
      .default('tokens')
      .describe(
        'Who may use the web UI, the query API (/api/*, exports) and the fleet views. "tokens": only a client sending ' +
          '"Authorization: Bearer <token>" with an API token (`telem collector token create`) or a token of admin_tokens, or a ' +
          'browser logged in at /login; anyone else gets 401. "none": anyone who can connect, allowed only when the address ' +
          'serving them (listen_api, else listen) is loopback (127.0.0.0/8, ::1, localhost), unless the collector is started ' +
          'with --insecure-no-auth. Ingest, /healthz and GET /fleet/<channel>/control never need a login; admin actions ' +
          '(rollout halts) always need an admin token.',
      ),
    admin_tokens: z
      .array(adminTokenSchema)
      .default([])
      .describe(
        'Tokens for the admin endpoints (POST /api/fleet/rollouts/<id>/halt and /resume, used by `telem fleet halt|resume`), ' +
          'sent as "Authorization: Bearer <token>"; they work as API tokens of role admin (the UI and /api/* too), beside ' +
          'those of `telem collector token create --role admin`. With no admin token of either kind, admin endpoints answer 403.',
      ),
    retention: z
      .strictObject({
        interval: durationSchema.prefault('1h').describe('How often old records are purged (also once at start).'),
        max_age: maxAgeSchema.prefault('35d').describe('Records matching no rule are purged after this age (upstream MAX_DAYS_KEEP_UNFILTERED_RECORDS: 35 days).'),
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
