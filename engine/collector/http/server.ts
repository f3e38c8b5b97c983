/** The collector's HTTP server: ingest (v2, v3), the query API, the web UI. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import { crashesEndpoint, recordEndpoint, recordsEndpoint, statsEndpoint } from '../query/api.js';
import type { IncomingRecord } from '../record.js';
import type { CollectorSettings } from '../settings.js';
import { createBatcher } from '../storage/batcher.js';
import type { InsertResult, RecordStore } from '../storage/store.js';
import { isAsset, sendAsset } from '../ui/static.js';
import { type IngestContext, ingest } from './ingest.js';
import { HttpError, sendJson, sendMessage } from './reply.js';

/** Paths records are POSTed to, and the protocol each speaks (upstream: /v2/collector and /). */
const INGEST_PATHS: Record<string, 'v2' | 'v3'> = { '/v2/collector': 'v2', '/': 'v2', '/v3/collector': 'v3' };
const MAX_BATCH = 500;

export interface CollectorServerOptions {
  readonly store: RecordStore;
  /** Insert batches written at once (1 for SQLite). */
  readonly writers: number;
  readonly settings: CollectorSettings;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface CollectorServer {
  readonly server: http.Server;
  /** Waits until every accepted record is written. */
  drain(): Promise<void>;
}

function methodNotAllowed(req: IncomingMessage, allow: string): HttpError {
  return new HttpError(405, `method ${req.method} is not allowed here; use ${allow}`, { Allow: allow });
}

export function createCollectorServer(options: CollectorServerOptions): CollectorServer {
  const now = options.now ?? Date.now;
  const batcher = createBatcher<IncomingRecord, InsertResult>({
    write: (records) => options.store.insert(records),
    maxBatch: MAX_BATCH,
    maxInFlight: options.writers,
  });
  const ingestContext: IngestContext = {
    tenants: options.settings.tenants,
    maxBody: options.settings.max_body,
    batcher,
    logger: options.logger,
    now,
  };
  const queryContext = { store: options.store, now };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://collector');
    const { pathname } = url;
    const method = req.method ?? 'GET';
    const reading = method === 'GET' || method === 'HEAD';

    const protocol = INGEST_PATHS[pathname];
    if (protocol) {
      if (method === 'POST') return ingest(ingestContext, req, res, protocol);
      if (reading && pathname === '/') return sendAsset('/', res);
      // Upstream redirects browsers from the collector URL to its UI.
      if (reading) {
        res.writeHead(302, { Location: '/' }).end();
        return;
      }
      if (method === 'OPTIONS') {
        res.writeHead(204, { Allow: 'GET, HEAD, POST, OPTIONS' }).end();
        return;
      }
      throw methodNotAllowed(req, 'GET, HEAD, POST, OPTIONS');
    }

    if (isAsset(pathname)) {
      if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
      return sendAsset(pathname, res);
    }

    const recordId = /^\/api\/records\/([^/]+)$/.exec(pathname)?.[1];
    const api = pathname === '/api/records' || pathname === '/api/stats' || pathname === '/api/crashes' || recordId !== undefined;
    if (api || pathname === '/healthz') {
      if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
      if (pathname === '/healthz') return sendJson(res, 200, { status: 'ok', backend: options.store.backend });
      if (recordId !== undefined) return recordEndpoint(queryContext, recordId, res);
      if (pathname === '/api/records') return recordsEndpoint(queryContext, url.searchParams, res);
      if (pathname === '/api/stats') return statsEndpoint(queryContext, url.searchParams, res);
      return crashesEndpoint(queryContext, url.searchParams, res);
    }
    throw new HttpError(404, `nothing here: ${method} ${pathname}`);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        options.logger.error({ err: error, url: req.url }, 'request failed after its answer started');
        res.destroy();
      } else if (error instanceof HttpError) {
        sendMessage(res, error.status, error.message, error.headers);
      } else {
        options.logger.error({ err: error, url: req.url }, 'request failed');
        sendMessage(res, 500, 'internal error; the collector log has the details');
      }
    });
  });
  // Node answers an Expect other than 100-continue with a bare 417; ours says why, like every error.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    sendMessage(res, 417, `Expect: ${String(req.headers.expect)} is not supported; only 100-continue is`, { Connection: 'close' });
  });
  // Requests Node cannot parse (bad header bytes, oversized heads) still get a JSON answer.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, message] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'request headers are too large'] : [400, `malformed HTTP request (${error.code ?? error.message})`];
    const body = JSON.stringify({ message });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return { server, drain: () => batcher.drain() };
}
