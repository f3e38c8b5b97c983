/**
 * GET /healthz for load balancers and monitors: 200 only when the database answers, so a
 * collector that cannot store or read records is taken out of rotation.
 *   200 {"status":"ok","backend":"postgres"}
 *   503 {"status":"unavailable","backend":"postgres","database":"<why>","message":"…"} with Retry-After
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from '../reply/reply.js';
import type { RecordStore } from '../storage/store.js';

/** Health checkers wait a few seconds; a database slower than this to answer a ping is as good as down. */
export const PING_TIMEOUT_MS = 2_000;
export const RETRY_AFTER_S = '5';

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // pg's AggregateError (one refusal per address) has an empty message and the errno code.
  return error.message || (error as NodeJS.ErrnoException).code || error.name;
}

/** null when the database answered within the timeout, else why not. */
export async function databaseProblem(store: RecordStore, timeoutMs: number = PING_TIMEOUT_MS): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answered = store.ping().then(() => null, reason);
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthEndpoint(store: RecordStore, res: ServerResponse): Promise<void> {
  const problem = await databaseProblem(store);
  if (problem === null) return sendJson(res, 200, { status: 'ok', backend: store.backend });
  sendJson(
    res,
    503,
    { status: 'unavailable', backend: store.backend, database: problem, message: 'the database cannot be reached; the collector can neither store nor read records' },
    { 'Retry-After': RETRY_AFTER_S },
  );
}
