/**
 * Reads a request body into one buffer of bounded size. Each HTTP chunk arrives as a Buffer that
 * keeps alive the socket read it was sliced from, and a Buffer object costs hundreds of bytes on its
 * own: keeping them (a 1 MB body sent as a million one-byte chunks) cost ~390 MiB per request. So
 * every chunk is copied into one buffer, allocated at the declared Content-Length or grown by
 * doubling up to max_body, and the buffer's size is taken from the collector-wide BodyMemory.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { formatSize } from '../../../schemas/units.js';
import { HttpError } from '../reply/reply.js';
import type { BodyMemory } from './limits.js';

/** The first buffer of a body without Content-Length (chunked); most records fit in it. */
const FIRST_CAPACITY = 16 * 1024;

export interface ReceivedBody {
  readonly bytes: Buffer;
  /** Gives the body's memory back to the budget; call once the body is no longer needed. */
  release(): void;
}

export interface ReadBodyOptions {
  /** max_body: larger bodies get 413. */
  readonly limit: number;
  readonly memory: BodyMemory;
  /** Called when the budget turns a body away (for the counted warning). */
  readonly onOverBudget?: () => void;
}

/** The client closed the connection before its body was complete: nobody is left to answer. */
export class ClientGoneError extends Error {
  constructor(
    readonly received: number,
    readonly declared: number | null,
  ) {
    super('the client closed the connection before its body was complete');
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is larger than the collector accepts (${formatSize(limit)})`);
}

function overBudget(): HttpError {
  // 503, not 413: the body is acceptable, the collector is busy receiving others.
  return new HttpError(503, 'the collector is receiving too many request bodies at once; try again later', { 'Retry-After': '2' });
}

function declaredLength(req: IncomingMessage): number | null {
  const header = req.headers['content-length'];
  return header === undefined || !/^\d+$/.test(header) ? null : Number(header);
}

export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<ReceivedBody> {
  const { limit, memory } = options;
  const declared = declaredLength(req);
  if (declared !== null && declared > limit) return Promise.reject(tooLarge(limit));
  // A declared length is taken in full at once (the parser never delivers more than it); a body
  // without one grows its buffer, and its share of the budget, as it arrives.
  const ceiling = declared ?? limit;
  let capacity = declared ?? Math.min(FIRST_CAPACITY, limit);
  if (!memory.take(capacity)) {
    options.onOverBudget?.();
    return Promise.reject(overBudget());
  }
  let buffer = Buffer.allocUnsafe(capacity);
  let size = 0;
  let settled = false;

  return new Promise((resolve, reject) => {
    const release = () => {
      memory.give(capacity);
      capacity = 0;
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      // Nothing more is read: the answer closes the connection (server.ts), so the client stops sending.
      req.pause();
      release();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      const needed = size + chunk.length;
      if (needed > limit) return fail(tooLarge(limit));
      if (needed > capacity) {
        const grown = Math.min(Math.max(capacity * 2, needed), ceiling);
        if (!memory.take(grown - capacity)) {
          options.onOverBudget?.();
          return fail(overBudget());
        }
        const next = Buffer.allocUnsafe(grown);
        buffer.copy(next, 0, 0, size);
        buffer = next;
        capacity = grown;
      }
      chunk.copy(buffer, size);
      size = needed;
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      let given = false;
      resolve({
        bytes: buffer.subarray(0, size),
        release: () => {
          if (given) return;
          given = true;
          release();
        },
      });
    });
    // 'error' (Node's "aborted") or a close without 'end': the client went away mid-body.
    // (Checked before the error is made: 'close' comes after every complete body too, and an Error's stack is not free.)
    const gone = () => settled || fail(new ClientGoneError(size, declared));
    req.once('error', gone);
    req.once('close', gone);
  });
}

/**
 * A small JSON body (an admin's edit) read and checked against its schema; a body that is not JSON
 * or not of the schema's shape is a 400 that starts with `shape`, the body the endpoint wants.
 */
export async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, options: ReadBodyOptions & { readonly shape: string }): Promise<T> {
  const body = await readBody(req, options);
  try {
    const result = schema.safeParse(JSON.parse(body.bytes.toString('utf8')));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new HttpError(400, `${options.shape}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    return result.data;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `${options.shape}: ${(error as Error).message}`);
  } finally {
    body.release();
  }
}
