/**
 * POST /telem/v1/records, the batch protocol telem agents speak to a telem collector (upstream's
 * v2/v3 stay one record per request). The body is NDJSON, gzip allowed (Content-Encoding: gzip):
 * each line a v3 record (its fields and "payload") plus the agent's `record_id`, assigned once and
 * kept across retries. Tenant and token are checked once for the batch, as for v2/v3 (400/401); each
 * line is then judged on its own by upstream's rules, and the 200 answer lists, in order, a result
 * per line: { record_id, status: stored | duplicate | rejected, reason? }. A record_id is part of
 * the record's key, so a batch sent again is answered `duplicate` for what was stored: exactly once.
 * When the store fails nothing is answered per record: 503, and the agent sends the batch again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { MAX_BATCH_RECORDS } from '../../../schemas/destinations.js';
import { formatSize } from '../../../schemas/units.js';
import type { IncomingRecord } from '../record/record.js';
import { HttpError, sendJson } from '../reply/reply.js';
import type { InsertResult } from '../storage/store.js';
import { EXTERNAL_FIELD, TID_FIELD } from '../validation/field-names.js';
import { headerFields, v3SubmissionOf } from '../validation/request-fields.js';
import { checkTenant } from '../validation/tenant.js';
import { validateRecord } from '../validation/validate-record.js';
import { readBody } from './body.js';
import type { IngestContext } from './ingest.js';

/** A gzip body may unpack to at most this many times max_body (a small body must not become gigabytes). */
export const MAX_INFLATION = 16;
const RECORD_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type BatchStatus = 'stored' | 'duplicate' | 'rejected';

export interface BatchResult {
  /** As sent; null when the line had none (or was not a JSON object). */
  readonly record_id: string | null;
  readonly status: BatchStatus;
  readonly reason?: string;
}

/** The answer of POST /telem/v1/records: one result per line, in order. */
export interface BatchAnswer {
  readonly results: readonly BatchResult[];
}

function unpack(req: IncomingMessage, body: Buffer, maxBody: number): Buffer {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new HttpError(415, `Content-Encoding ${JSON.stringify(encoding)} is not supported; send gzip or none`);
  const limit = maxBody * MAX_INFLATION;
  try {
    return gunzipSync(body, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new HttpError(413, `the gzip body unpacks to more than ${formatSize(limit)} (${MAX_INFLATION} × collector.max_body)`);
    throw new HttpError(400, `the body is not valid gzip (${(error as Error).message})`);
  }
}

/** The lines of an NDJSON body (a final newline ends the last line, it does not start another). */
function lines(text: string): string[] {
  const split = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (split.at(-1) === '') split.pop();
  return split;
}

type Judged = { readonly ok: true; readonly record_id: string; readonly record: IncomingRecord } | { readonly ok: false; readonly result: BatchResult };

function judge(line: string, base: Pick<IncomingRecord, 'received_at' | 'tenant' | 'external'>): Judged {
  const rejected = (record_id: string | null, reason: string): Judged => ({ ok: false, result: { record_id, status: 'rejected', reason } });
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return rejected(null, `the line is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return rejected(null, 'the line must be a JSON object of record fields, "payload" and "record_id"');
  const { record_id: recordId, ...fields } = value as Record<string, unknown>;
  if (typeof recordId !== 'string' || !RECORD_ID.test(recordId)) {
    return rejected(typeof recordId === 'string' ? recordId.slice(0, 128) : null, '"record_id" must be 1 to 128 letters, digits, ".", "_", ":" or "-"');
  }
  const parsed = v3SubmissionOf(fields, 'the line');
  if (!parsed.ok) return rejected(recordId, parsed.message);
  const verdict = validateRecord(parsed.submission);
  if (!verdict.ok) return rejected(recordId, verdict.message);
  return { ok: true, record_id: recordId, record: { ...verdict.record, ...base, protocol: 'telem', record_id: recordId } };
}

export async function batchIngest(context: IngestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, { limit: context.maxBody, memory: context.memory, onOverBudget: context.onOverBudget });
  try {
    const headers = headerFields(req.rawHeaders);
    const tenant = checkTenant({ tid: headers.get(TID_FIELD), authorization: req.headers.authorization, tenants: context.tenants });
    if (!tenant.ok) throw new HttpError(tenant.status, tenant.message, tenant.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
    const text = unpack(req, body.bytes, context.maxBody).toString('utf8');
    const found = lines(text);
    if (found.length > MAX_BATCH_RECORDS) throw new HttpError(413, `a batch carries at most ${MAX_BATCH_RECORDS} records (this one has ${found.length})`);
    const base = { received_at: context.now(), tenant: tenant.tenant.tid, external: headers.get(EXTERNAL_FIELD) === 'true' };
    const judged = found.map((line) => judge(line, base));

    let stored: InsertResult[];
    try {
      // One transaction for the whole batch: all of it is stored, or none and the agent sends it again.
      stored = await context.batcher.submitAll(judged.flatMap((entry) => (entry.ok ? [entry.record] : [])));
    } catch (error) {
      context.logger.error({ err: error }, 'storing a batch failed');
      throw new HttpError(503, 'the batch could not be stored right now; send it again later (records already stored are answered duplicate)', { 'Retry-After': '5' });
    }
    let next = 0;
    const results = judged.map((entry): BatchResult => {
      if (!entry.ok) return entry.result;
      const result = stored[next++] as InsertResult;
      if (result.invalid_status !== undefined) context.onInvalidStatus(result.invalid_status, result.record.id);
      return { record_id: entry.record_id, status: result.duplicate ? 'duplicate' : 'stored' };
    });
    sendJson(res, 200, { results } satisfies BatchAnswer);
  } finally {
    body.release();
  }
}
