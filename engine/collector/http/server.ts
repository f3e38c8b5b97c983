/**
 * The collector's HTTP servers: one listener serving everything, or (with listen_api) an ingest
 * listener and an API listener (router.ts). Each is guarded against hostile or broken clients:
 * a connection cap, deadlines for the head, the whole request and idleness, one memory budget
 * for bodies being received, the Host check, and answers that close the connection rather than
 * read a body nobody will use.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { formatDuration } from '../../../schemas/units.js';
import type { Logger } from '../../log/logger.js';
import type { CollectorSettings } from '../config/settings.js';
import { createAuthGate } from '../auth/gate.js';
import { STATUS_CLASSIFICATION } from '../fleet/states.js';
import type { IncomingRecord } from '../record/record.js';
import { HttpError, rawResponse, sendMessage } from '../reply/reply.js';
import { createRolloutEvaluator } from './rollout-evaluator.js';
import { createBatcher } from '../storage/batcher.js';
import type { InsertResult, RecordStore } from '../storage/store.js';
import { isUnavailable } from '../storage/unavailable.js';
import { MAX_BATCH_RECORDS } from '../../../schemas/destinations.js';
import { ClientGoneError } from './body.js';
import { RETRY_AFTER_S } from './health.js';
import { createHostCheck } from './host-check.js';
import type { IngestContext } from './ingest.js';
import { BodyMemory, countedWarning } from './limits.js';
import { type ListenerRole, type RouterContext, route } from './router.js';
import { answerAndClose, bodyUnread } from './unread-body.js';

/** Records a transaction carries at most: a whole batch request (MAX_BATCH_RECORDS), or single records gathered. */
const MAX_BATCH = MAX_BATCH_RECORDS;

export interface CollectorServerOptions {
  readonly store: RecordStore;
  /** Insert batches written at once (1 for SQLite). */
  readonly writers: number;
  readonly settings: CollectorSettings;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface CollectorServers {
  /** The `listen` address: everything, or only ingest when `api` is there. */
  readonly main: http.Server;
  /** The `listen_api` address (UI, /api/*, /healthz), when set. */
  readonly api: http.Server | null;
  /** Waits until every accepted record is written; logs the warnings still counted. */
  drain(): Promise<void>;
}

/** An answer written straight to the socket (Node has no request object for it), then the connection closed. */
function rawAnswer(socket: Socket, status: number, message: string): void {
  // Destroyed once written: half-open, the socket would go on reading whatever the client still sends.
  socket.end(rawResponse(status, message), () => socket.destroy());
}

export function createCollectorServers(options: CollectorServerOptions): CollectorServers {
  const { settings, logger } = options;
  const now = options.now ?? Date.now;
  const evaluator = createRolloutEvaluator({ store: options.store, logger, now });
  const batcher = createBatcher<IncomingRecord, InsertResult>({
    write: async (records) => {
      const results = await options.store.insert(records);
      evaluator.stored(results);
      return results;
    },
    maxBatch: MAX_BATCH,
    maxInFlight: options.writers,
  });
  const warnings = {
    overBudget: countedWarning({
      logger,
      message: 'requests refused with 503: the bodies being received would exceed collector.max_body_memory',
      fields: { max_body_memory: settings.max_body_memory },
    }),
    dropped: countedWarning({
      logger,
      message: 'connections closed on arrival: collector.max_connections are open',
      fields: { max_connections: settings.max_connections },
    }),
    unavailable: countedWarning({ logger, message: 'reads answered 503: the database cannot be reached', fields: {} }),
    invalidStatus: countedWarning({
      logger,
      message: 'status records stored but left out of the fleet view: their payload is not an agent status',
      fields: { classification: STATUS_CLASSIFICATION },
    }),
  };
  const ingestContext: IngestContext = {
    tenants: settings.tenants,
    maxBody: settings.max_body,
    memory: new BodyMemory(settings.max_body_memory),
    onOverBudget: () => warnings.overBudget.note(),
    batcher,
    logger,
    now,
    onInvalidStatus: (reason, id) => {
      warnings.invalidStatus.note();
      logger.debug({ id, reason }, 'status record left out of the fleet view');
    },
  };
  const query = { store: options.store, now };
  const gate = createAuthGate({ store: options.store.auth, settings, now });
  const context: RouterContext = {
    ingest: ingestContext,
    query,
    rollouts: { query, memory: ingestContext.memory, logger },
    crashRules: { query, memory: ingestContext.memory, logger },
    crashGroups: { query, memory: ingestContext.memory },
    login: { gate, auth: settings.auth, memory: ingestContext.memory, logger },
  };
  const hosts = createHostCheck(settings.allowed_hosts);
  const { timeouts } = settings;

  /** The answer to what a handler threw: its own, 503 when the database cannot be reached, else a logged 500. */
  function answerFor(req: IncomingMessage, error: unknown): HttpError {
    if (error instanceof HttpError) return error;
    if (isUnavailable(error)) {
      warnings.unavailable.note();
      logger.debug({ err: error, url: req.url }, 'the database cannot be reached');
      return new HttpError(503, 'the database cannot be reached right now; try again later', { 'Retry-After': RETRY_AFTER_S });
    }
    logger.error({ err: error, url: req.url }, 'request failed');
    return new HttpError(500, 'internal error; the collector log has the details');
  }

  function answerError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (error instanceof ClientGoneError) {
      // The client hung up mid-upload (or a deadline cut it): nobody is left to answer, nothing is wrong here.
      logger.debug({ url: req.url, received: error.received, declared: error.declared }, 'client closed the connection before its body was complete');
      return;
    }
    if (res.headersSent) {
      // An export cut by a database outage is counted with the other outage answers, not logged as a failure.
      if (isUnavailable(error)) warnings.unavailable.note();
      else logger.error({ err: error, url: req.url }, 'request failed after its answer started');
      res.destroy();
      return;
    }
    const answer = answerFor(req, error);
    if (bodyUnread(req)) answerAndClose(req.socket, answer.status, answer.message, answer.headers);
    else sendMessage(res, answer.status, answer.message, answer.headers);
  }

  function listener(role: ListenerRole): http.Server {
    const server = http.createServer(
      {
        headersTimeout: timeouts.headers,
        requestTimeout: timeouts.request,
        keepAliveTimeout: timeouts.keep_alive,
        // Node checks the head and request deadlines on this interval (30 s by default, which would
        // let a 10 s deadline run to 40 s); a tenth of the shorter one keeps them within 10 %.
        connectionsCheckingInterval: Math.max(100, Math.round(Math.min(timeouts.headers, timeouts.request) / 10)),
      },
      (req, res) => {
        if (!hosts.allows(req.headers.host)) {
          answerError(req, res, new HttpError(421, `this collector does not answer to Host ${JSON.stringify(req.headers.host)}; add the name to collector.allowed_hosts`));
          return;
        }
        route(context, role, req, res).catch((error: unknown) => answerError(req, res, error));
      },
    );
    server.maxConnections = settings.max_connections;
    // A client may end its side once its body is sent (Connection: close, then shutdown): the answer
    // still goes out, and then the connection closes. Node's default drops the request on the FIN,
    // which loses the answer whenever storing takes longer than the FIN takes to arrive (always, now
    // that records are stored on another thread).
    (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    // No bytes either way for this long closes the connection (Node destroys it when nobody handles 'timeout').
    server.timeout = timeouts.idle;
    server.on('drop', () => warnings.dropped.note());
    // Node answers an Expect other than 100-continue with a bare 417; ours says why, like every error.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      sendMessage(res, 417, `Expect: ${String(req.headers.expect)} is not supported; only 100-continue is`, { Connection: 'close' });
    });
    // Requests Node cannot parse or that missed a deadline still get a JSON answer.
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        logger.debug({ remote: socket.remoteAddress }, 'request not received in time; connection closed');
        return rawAnswer(
          socket,
          408,
          `the request was not received in time: the collector waits ${formatDuration(timeouts.headers)} for the head and ${formatDuration(timeouts.request)} for the whole request (collector.timeouts)`,
        );
      }
      if (error.code === 'HPE_HEADER_OVERFLOW') return rawAnswer(socket, 431, 'request headers are too large');
      rawAnswer(socket, 400, `malformed HTTP request (${error.code ?? error.message})`);
    });
    return server;
  }

  return {
    main: listener(settings.listen_api === null ? 'all' : 'ingest'),
    api: settings.listen_api === null ? null : listener('api'),
    async drain() {
      await batcher.drain();
      await evaluator.idle();
      for (const warning of Object.values(warnings)) warning.flush();
    },
  };
}
