/**
 * A real static file server for fleet bundles, as any web server or object store serves one: GET
 * of one file with a strong ETag (its sha256), 304 to a matching If-None-Match, 404 while there is
 * no file. Every request is logged with the status it got, as an access log would.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface BundleServer {
  /** The URL of the bundle file. */
  readonly url: string;
  /** The access log: one entry per request, with the status it was answered. */
  readonly log: { readonly path: string; readonly ifNoneMatch: string | null; readonly status: number; readonly at: number }[];
  /** Serves the file's bytes from now on (publishing a new revision replaces the file). */
  publish(file: string): Promise<void>;
  /** Answers every request with this status (and Retry-After) until cleared with null. */
  fail(status: number | null, retryAfter?: string): void;
  /** Resolves once the log has an entry satisfying the predicate (bounded in time). */
  waitFor(predicate: (entry: BundleServer['log'][number]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBundleServer(t: TestContext, options: { path?: string; port?: number } = {}): Promise<BundleServer> {
  const filePath = options.path ?? '/fleet/stable.bundle';
  let body: Buffer | null = null;
  let etag: string | null = null;
  let failing: { status: number; retryAfter: string | undefined } | null = null;
  const log: BundleServer['log'][number][] = [];
  const server = http.createServer((request, response) => {
    const ifNoneMatch = typeof request.headers['if-none-match'] === 'string' ? request.headers['if-none-match'] : null;
    const answer = (status: number, headers: Record<string, string> = {}, data?: Buffer) => {
      log.push({ path: request.url ?? '', ifNoneMatch, status, at: Date.now() });
      response.writeHead(status, headers);
      response.end(data);
    };
    if (failing) return answer(failing.status, failing.retryAfter === undefined ? {} : { 'retry-after': failing.retryAfter });
    if (request.method !== 'GET' || request.url !== filePath || body === null || etag === null) return answer(404);
    if (ifNoneMatch !== null && ifNoneMatch.split(',').some((tag) => tag.trim() === etag)) return answer(304, { etag });
    return answer(200, { etag, 'content-type': 'application/json', 'content-length': String(body.length) }, body);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.after(close);
  return {
    url: `http://127.0.0.1:${port}${filePath}`,
    log,
    async publish(file) {
      body = await readFile(file);
      etag = `"${createHash('sha256').update(body).digest('hex')}"`;
    },
    fail(status, retryAfter) {
      failing = status === null ? null : { status, retryAfter };
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!log.some(predicate)) {
        if (Date.now() > deadline) throw new Error(`the bundle server saw no such request within ${timeoutMs} ms; log: ${JSON.stringify(log)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close,
  };
}
