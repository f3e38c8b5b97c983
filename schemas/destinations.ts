import { z } from 'zod';
import { durationSchema, sizeSchema } from './units.js';

/** The tenant id upstream clients send when none is configured. */
export const UPSTREAM_TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';

/** Where a telem collector takes batches (`protocol: telem`). */
export const TELEM_BATCH_PATH = '/telem/v1/records';

export type HttpProtocol = 'v2' | 'v3' | 'telem';

/**
 * The protocol a collector URL names in its path, if any: telem's batch endpoint, or a "v2" or
 * "v3" path segment, as in upstream's /v2/collector (≤ 2.3.5 and the Python backend) and
 * /v3/collector (≥ 2.4).
 */
export function protocolInUrl(url: string): HttpProtocol | undefined {
  if (!URL.canParse(url)) return undefined;
  const { pathname } = new URL(url);
  if (pathname.replace(/\/+$/, '').endsWith(TELEM_BATCH_PATH)) return 'telem';
  const segment = pathname.split('/').find((part) => part === 'v2' || part === 'v3');
  return segment as 'v2' | 'v3' | undefined;
}

/** The most records one batch may carry: what a telem collector takes (engine/collector/http/batch-ingest.ts). */
export const MAX_BATCH_RECORDS = 1000;

export const batchSchema = z
  .strictObject({
    max_records: z.number().int().min(1).max(MAX_BATCH_RECORDS).default(500).describe(`Most records in one request (at most ${MAX_BATCH_RECORDS}, what a telem collector takes).`),
    max_bytes: sizeSchema
      .prefault('512KiB')
      .refine((bytes) => bytes >= 1024, { error: 'expected at least 1KiB' })
      .describe("Most body bytes in one request before compression (a single larger record goes alone); keep it under the collector's max_body (1MiB by default)."),
    linger: durationSchema.prefault('20ms').describe('How long a record waits for others to fill its batch when fewer than max_records are queued; records that were retried do not wait.'),
    compression: z.enum(['none', 'gzip']).default('none').describe('"gzip" compresses each batch (Content-Encoding: gzip): less traffic for more CPU on both sides.'),
  })
  .describe('How `protocol: telem` groups records into requests.');

export type BatchSettings = z.output<typeof batchSchema>;

/** The batch settings a destination gets when it gives none. */
export const DEFAULT_BATCH: Readonly<BatchSettings> = Object.freeze(batchSchema.parse({}));

/** Whether batch settings are the defaults: a v2 or v3 destination must not change them. */
export function batchIsDefault(batch: Readonly<BatchSettings>): boolean {
  return (Object.keys(DEFAULT_BATCH) as (keyof BatchSettings)[]).every((key) => batch[key] === DEFAULT_BATCH[key]);
}

export const httpDestinationSchema = z
  .strictObject({
    type: z.literal('http').describe('Deliver over HTTP(S) to a telemetry collector.'),
    protocol: z
      .enum(['v2', 'v3', 'telem'])
      .default('v3')
      .describe(
        '"v3": JSON body with the 15 record fields and the payload (current upstream client); "v2": record fields as HTTP headers, payload as body (upstream ≤ 2.3.5 and the Python backend); ' +
          `"telem": batches of records as NDJSON to a telem collector's ${TELEM_BATCH_PATH}, each record journaled by the collector's own receipt for it, exactly once.`,
      ),
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).describe('Collector URL records are POSTed to (upstream server).'),
    tid: z.string().min(1).default(UPSTREAM_TID).describe('Tenant id sent in the TID header (upstream tidheader value).'),
    tid_header: z
      .string()
      .regex(/^[!#-'*+.0-9A-Z^-z|~-]+$/, { error: 'expected an HTTP header name such as "X-Telemetry-TID"' })
      .default('X-Telemetry-TID')
      .describe('Name of the header carrying the tenant id.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers, for example an Authorization bearer token for a tenant.'),
    ca_file: z
      .union([z.string().min(1), z.null()])
      .default(null)
      .describe('PEM file of CA certificates trusted for https (upstream cainfo); null uses the system store.'),
    timeout: durationSchema.prefault('10s').describe('Time allowed for one whole request (upstream: 10 s).'),
    connect_timeout: durationSchema.prefault('5s').describe('Time allowed to connect (upstream: 5 s).'),
    success_status: z.array(z.number().int().min(100).max(599)).min(1).default([200, 201]).describe('HTTP statuses that mean the collector has stored the record (upstream: 200 and 201).'),
    on_reject: z
      .enum(['retry', 'drop'])
      .default('retry')
      .describe(
        'What happens when the destination answers a 4xx other than 408 and 429 (the server refused the record: a wrong tenant id, ' +
          'a wrong URL path, v3 sent to a v2 server): "retry" keeps the record spooled and retries it with backoff until it expires, ' +
          'shown in telem status and /metrics; "drop" journals it as rejected and counts it.',
      ),
    concurrency: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe(
        'Most requests in flight at once to this destination, over keep-alive connections; the collector commits concurrent records together, so more in flight means fewer disk syncs there.',
      ),
    batch: batchSchema.prefault({}).describe('How `protocol: telem` groups records into requests (v2 and v3 send one record per request and must not change it).'),
  })
  .describe('An HTTP collector.');

export const fileDestinationSchema = z
  .strictObject({
    type: z.literal('file').describe('Append records to a local file as NDJSON, one JSON object per line.'),
    path: z.string().min(1).describe('File records are appended to; created if missing.'),
    fsync: z.boolean().default(true).describe('Sync the file before a record counts as delivered, so a crash cannot lose it.'),
  })
  .describe('A local NDJSON file.');

export const localDestinationSchema = z
  .strictObject({
    type: z.literal('local').describe('Keep records on this machine only: the journal notes each one and retention keeps its payload (upstream record_server_delivery_enabled=false).'),
  })
  .describe('Local only: nothing leaves the machine.');

export const destinationSchema = z
  .discriminatedUnion('type', [httpDestinationSchema, fileDestinationSchema, localDestinationSchema], {
    error: 'expected a destination with type "http", "file" or "local"',
  })
  .describe('A place records are delivered to.');

export const destinationsSchema = z
  .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'destination names use letters, digits, ".", "_" and "-"' }), destinationSchema)
  .prefault({})
  .describe('Destinations by name; routes refer to them in `to`.');
