/**
 * Reading fleet.source: an http(s) URL (any static file server or object store) polled with
 * If-None-Match, so an unchanged bundle costs a 304 and no download; or a local file, read when its
 * size or modification time changed. Downloads are bounded in size and time.
 */
import { readFile, stat } from 'node:fs/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ofetch } from 'ofetch';
import { parseRetryAfter } from '../deliver/retry-after.js';
import { TelemError } from '../errors/telem-error.js';

/** The largest bundle an agent downloads (a resolved policy is kilobytes; this leaves room for sources). */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
export const FETCH_TIMEOUT_MS = 30_000;

export type FetchResult =
  /** Nothing new: a 304, or a local file whose size and mtime did not change. */
  | { readonly kind: 'unchanged'; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'fetched'; readonly bytes: Buffer; readonly etag: string | null; readonly retryAfterMs: number | undefined };

export interface FetchOptions {
  /** The ETag (http) or "size-mtime" (file) of the last download. */
  readonly etag: string | null;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  /** Called once the body starts coming (the state becomes "downloading"). */
  readonly onDownload?: () => void;
}

/** A failed fetch: a TelemError bundle-fetch carrying the wait the server asked for, if any. */
export class FetchError extends TelemError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number, cause?: unknown) {
    super('bundle-fetch', message, { cause });
    this.retryAfterMs = retryAfterMs;
  }
}

export function fetchBundle(source: string, options: FetchOptions): Promise<FetchResult> {
  return source.startsWith('/') ? readLocal(source, options) : download(source, options);
}

async function readLocal(file: string, options: FetchOptions): Promise<FetchResult> {
  const maxBytes = options.maxBytes ?? MAX_BUNDLE_BYTES;
  let tag: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new FetchError(`${file} is not a file`);
    if (info.size > maxBytes) throw new FetchError(`${file} is ${info.size} bytes, more than the ${maxBytes} a bundle may have`);
    tag = `${info.size}-${info.mtimeMs}`;
    if (tag === options.etag) return { kind: 'unchanged', retryAfterMs: undefined };
    options.onDownload?.();
    const bytes = await readFile(file);
    if (bytes.length > maxBytes) throw new FetchError(`${file} is more than the ${maxBytes} bytes a bundle may have`);
    // A file replaced between stat and read is read again at the next poll (its tag changed), and a
    // bundle already active or already refused is recognised by its hash (see FleetClient).
    return { kind: 'fetched', bytes, etag: tag, retryAfterMs: undefined };
  } catch (error) {
    if (error instanceof FetchError) throw error;
    throw new FetchError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, undefined, error);
  }
}

async function download(url: string, options: FetchOptions): Promise<FetchResult> {
  const maxBytes = options.maxBytes ?? MAX_BUNDLE_BYTES;
  let response;
  try {
    response = await ofetch.raw<WebReadableStream<Uint8Array>, 'stream'>(url, {
      responseType: 'stream',
      retry: 0,
      timeout: options.timeoutMs ?? FETCH_TIMEOUT_MS,
      ignoreResponseError: true,
      headers: options.etag === null ? {} : { 'if-none-match': options.etag },
    });
  } catch (error) {
    throw new FetchError(`cannot fetch ${url}: ${(error as Error).message}`, undefined, error);
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
  const body = response._data;
  if (response.status === 304) {
    await body?.cancel().catch(() => undefined);
    return { kind: 'unchanged', retryAfterMs };
  }
  if (response.status !== 200) {
    await body?.cancel().catch(() => undefined);
    throw new FetchError(`cannot fetch ${url}: HTTP ${response.status}`, retryAfterMs);
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (length > maxBytes) {
    await body?.cancel().catch(() => undefined);
    throw new FetchError(`${url} is ${length} bytes, more than the ${maxBytes} a bundle may have`, retryAfterMs);
  }
  options.onDownload?.();
  const chunks: Buffer[] = [];
  let size = 0;
  if (body) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new FetchError(`${url} is more than the ${maxBytes} bytes a bundle may have`, retryAfterMs);
        }
        chunks.push(Buffer.from(value));
      }
    } catch (error) {
      if (error instanceof FetchError) throw error;
      throw new FetchError(`cannot download ${url}: ${(error as Error).message}`, retryAfterMs, error);
    }
  }
  return { kind: 'fetched', bytes: Buffer.concat(chunks), etag: response.headers.get('etag'), retryAfterMs };
}
