/**
 * One crash group over HTTP (storage/crash-groups-sql.ts):
 *   GET /api/crash-groups/<signature>   the group's page: counts by build, classification and machine,
 *                                       records over creation time, the representative record and up to
 *                                       50 others, the note; the records filters narrow it, bucket as
 *                                       /api/stats; 404 for a signature no crash record has;
 *   PUT /api/crash-groups/<signature>   body {"comment"?, "hidden"?}: sets the group's note (an admin
 *                                       action, like every method but GET under /api/: access.ts).
 * The signature is the path's last segment, percent-encoded ("parse_config%20%7C%20main").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { recordJson } from '../record/record.js';
import type { CrashGroupAnswer, CrashGroupNoteAnswer } from '../query/answers.js';
import { CRASH_CLASSIFICATIONS, type QueryContext, read } from '../query/api.js';
import { FILTER_PARAMETERS, checkKnown, parseBucket, parseFilter } from '../query/params.js';
import { HttpError, sendJson } from '../reply/reply.js';
import { readJsonBody } from './body.js';
import type { BodyMemory } from './limits.js';

export interface CrashGroupsContext {
  readonly query: QueryContext;
  readonly memory: BodyMemory;
}

/** Upstream kept 80 characters; a comment here may say a little more (a bug link and why). */
export const MAX_COMMENT_LENGTH = 2000;
const MAX_SIGNATURE_LENGTH = 4096;
const MAX_BODY = 4 * MAX_COMMENT_LENGTH + 256;
const BODY_SHAPE = 'the body should be JSON {"comment": "…", "hidden": true} (either or both; a null or empty comment removes it)';

const bodySchema = z
  .strictObject({ comment: z.string().max(MAX_COMMENT_LENGTH, `comment may be at most ${MAX_COMMENT_LENGTH} characters long`).nullable().optional(), hidden: z.boolean().optional() })
  .refine((body) => body.comment !== undefined || body.hidden !== undefined, 'name comment, hidden or both');

const PREFIX = '/api/crash-groups/';

/** The signature a path names (undefined: not a crash group's path); a 400 when it is not a percent-encoded signature. */
export function crashGroupSignature(pathname: string): string | undefined {
  if (!pathname.startsWith(PREFIX)) return undefined;
  const encoded = pathname.slice(PREFIX.length);
  if (encoded === '' || encoded.includes('/')) throw new HttpError(404, `nothing here: ${pathname}; a crash group is /api/crash-groups/<signature>, the signature percent-encoded`);
  let signature: string;
  try {
    signature = decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, `the crash group's signature in ${pathname} is not percent-encoded text (encodeURIComponent of the signature)`);
  }
  if (signature.length > MAX_SIGNATURE_LENGTH || signature.includes('\0')) throw new HttpError(400, `a crash signature is at most ${MAX_SIGNATURE_LENGTH} characters, without NUL`);
  return signature;
}

function unknownGroup(signature: string): HttpError {
  return new HttpError(404, `no crash group with signature ${JSON.stringify(signature)}: no stored crash record has it (GET /api/crashes lists the signatures)`);
}

export async function crashGroupEndpoint(context: CrashGroupsContext, signature: string, params: URLSearchParams, res: ServerResponse): Promise<void> {
  // The signature is the path's; the other filters narrow the group's records.
  checkKnown(
    params,
    [...FILTER_PARAMETERS, 'bucket'].filter((name) => name !== 'signature'),
  );
  const filter = parseFilter(params, context.query.now());
  const bucketMs = parseBucket(params);
  const classification = filter.classification ?? CRASH_CLASSIFICATIONS;
  const detail = await read(context.query.store.crashGroup({ signature, filter: { ...filter, classification }, ...(bucketMs === undefined ? {} : { bucketMs }) }));
  if (!detail) throw unknownGroup(signature);
  sendJson(res, 200, {
    ...detail,
    classification,
    representative: detail.representative && recordJson(detail.representative),
    records: detail.records.map(recordJson),
  } satisfies CrashGroupAnswer);
}

export async function setCrashGroupEndpoint(
  context: CrashGroupsContext,
  target: { readonly signature: string; readonly by: string },
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  checkKnown(params, []);
  const parsed = await readJsonBody(req, bodySchema, { limit: MAX_BODY, memory: context.memory, shape: BODY_SHAPE });
  const note = await context.query.store.setCrashGroupNote(
    target.signature,
    { ...(parsed.comment === undefined ? {} : { comment: parsed.comment }), ...(parsed.hidden === undefined ? {} : { hidden: parsed.hidden }), by: target.by },
    context.query.now(),
  );
  if (!note) throw unknownGroup(target.signature);
  sendJson(res, 200, { signature: target.signature, ...note } satisfies CrashGroupNoteAnswer);
}
