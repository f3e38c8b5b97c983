/**
 * POST /v2/collector, POST / (v2: fields in headers) and POST /v3/collector (v3: JSON body).
 * Order: body size (413) and the collector's body memory (503), tenant id and token (400/401),
 * upstream's validation (400), then the batched store; 201 carries the stored record, also for a
 * retransmit already stored. The body's memory is given back once the record is stored.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.js';
import type { IncomingRecord } from '../record/record.js';
import { recordJson } from '../record/record.js';
import { HttpError, sendJson } from '../reply/reply.js';
import type { Batcher } from '../storage/batcher.js';
import type { InsertResult } from '../storage/store.js';
import { EXTERNAL_FIELD, TID_FIELD } from '../validation/field-names.js';
import { headerFields, v2Submission, v3Submission } from '../validation/request-fields.js';
import { type Tenant, checkTenant } from '../validation/tenant.js';
import { validateRecord } from '../validation/validate-record.js';
import { readBody } from './body.js';
import type { BodyMemory } from './limits.js';

export interface IngestContext {
  readonly tenants: readonly Tenant[];
  readonly maxBody: number;
  /** Shared by every connection: bodies being received take their size from it. */
  readonly memory: BodyMemory;
  readonly onOverBudget: () => void;
  readonly batcher: Batcher<IncomingRecord, InsertResult>;
  readonly logger: Logger;
  readonly now: () => number;
  /** A stored status record whose payload is not an agent status (it is kept; the fleet view skips it). */
  readonly onInvalidStatus: (reason: string, id: number) => void;
}

export async function ingest(context: IngestContext, req: IncomingMessage, res: ServerResponse, protocol: 'v2' | 'v3'): Promise<void> {
  const body = await readBody(req, { limit: context.maxBody, memory: context.memory, onOverBudget: context.onOverBudget });
  try {
    await accept(context, req, res, protocol, body.bytes);
  } finally {
    body.release();
  }
}

async function accept(context: IngestContext, req: IncomingMessage, res: ServerResponse, protocol: 'v2' | 'v3', body: Buffer): Promise<void> {
  const headers = headerFields(req.rawHeaders);
  const tid = headers.get(TID_FIELD);
  const tenant = checkTenant({ tid, authorization: req.headers.authorization, tenants: context.tenants });
  if (!tenant.ok) throw new HttpError(tenant.status, tenant.message, tenant.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});

  let submission;
  if (protocol === 'v2') {
    submission = v2Submission(headers, body);
  } else {
    const parsed = v3Submission(body);
    if (!parsed.ok) throw new HttpError(400, parsed.message);
    submission = parsed.submission;
  }
  const verdict = validateRecord(submission);
  if (!verdict.ok) throw new HttpError(400, verdict.message);

  const record: IncomingRecord = {
    ...verdict.record,
    received_at: context.now(),
    tenant: tenant.tenant.tid,
    protocol,
    external: headers.get(EXTERNAL_FIELD) === 'true',
  };
  let result: InsertResult;
  try {
    result = await context.batcher.submit(record);
  } catch (error) {
    context.logger.error({ err: error }, 'storing a record failed');
    // 503: the client keeps the record and retries; nothing was wrong with what it sent.
    throw new HttpError(503, 'the record could not be stored right now; try again later', { 'Retry-After': '5' });
  }
  if (result.duplicate) context.logger.debug({ id: result.record.id }, 'retransmitted record already stored');
  // Not the client's mistake to answer: the record is a valid record, only its payload is not a status.
  if (result.invalid_status !== undefined) context.onInvalidStatus(result.invalid_status, result.record.id);
  sendJson(res, 201, recordJson(result.record), result.duplicate ? { 'X-Telem-Duplicate': 'true' } : {});
}
