/**
 * An http(s) destination: POSTs each record (v2, v3) or each batch of records (telem) over
 * keep-alive connections (upstream opened a new TCP connection per record), at most `concurrency` at once, with a connect timeout and a timeout for
 * the whole exchange. Every problem comes back as a DeliveryResult; nothing here throws.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { silentLogger, type Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import type { TelemetryRecord } from '../record/fields.js';
import { createConcurrencyGate } from './concurrency-gate.js';
import { readReceipts } from './batch-receipts.js';
import type { BatchItem, DeliveryResult, DestinationClient } from './destination.js';
import { batchLine, batchRequest, createRequestBuilder, splitBySize, FRAMING_HEADERS, type HttpDestinationConfig, type HttpRequestParts } from './http-request.js';
import { resultForStatus } from './http-status.js';
import { parseRetryAfter } from './retry-after.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';

export interface HttpClientOptions {
  /** Root that `ca_file` resolves under. */
  readonly root: string;
  readonly logger?: Logger | undefined;
}

/** How much of an error response is kept for the log line. */
const RESPONSE_EXCERPT_BYTES = 512;
/** The most a batch's receipts may take: 1,000 results with long upstream reasons fit many times over. */
const MAX_RECEIPTS_BYTES = 4 * 1024 * 1024;

/** Errors meaning a kept-alive socket was closed by the server just as we reused it. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Certificate and handshake failures (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …), told apart from network errors. */
const TLS_CODE = /CERT|SSL|TLS|SIGNATURE|ISSUER/;

interface Attempt {
  readonly result: DeliveryResult;
  /** The whole answer body, when asked for and the request succeeded (a batch's receipts). */
  readonly body?: Buffer;
  /** The request failed on a reused idle connection before any answer: safe to send once more on a fresh one. */
  readonly staleSocket: boolean;
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}

export function createHttpClient(config: HttpDestinationConfig, options: HttpClientOptions): DestinationClient {
  const logger = (options.logger ?? silentLogger).child({ destination: config.name });
  const url = new URL(config.url);
  const secure = url.protocol === 'https:';
  const transport = secure ? https : http;
  const buildRequest = createRequestBuilder(config);
  const gate = createConcurrencyGate(config.concurrency);
  const inFlight = new Set<Promise<unknown>>();
  let agent: http.Agent | null = null;
  let closed = false;

  for (const name of Object.keys(config.headers)) {
    if (FRAMING_HEADERS.has(name.toLowerCase())) logger.warn({ header: name }, 'ignoring a policy header that only the connection may set');
  }

  /** Made on first use, so a missing CA file is a per-delivery result and a fixed file is picked up. */
  function createAgent(): Promise<http.Agent> {
    const poolOptions = { keepAlive: true, maxSockets: config.concurrency, maxFreeSockets: config.concurrency };
    if (!secure || config.ca_file === null) return Promise.resolve(new transport.Agent(poolOptions));
    // Upstream silently fell back to the system store when cainfo was missing; we never do.
    return readFile(underRoot(options.root, config.ca_file)).then((ca) => new https.Agent({ ...poolOptions, ca }));
  }

  let agentReady: Promise<http.Agent> | null = null;
  function connectionPool(): Promise<http.Agent> {
    agentReady ??= createAgent().then(
      (created) => (agent = created),
      (error: unknown) => {
        agentReady = null;
        throw error;
      },
    );
    return agentReady;
  }

  /** `answerLimit`: keep a successful answer's body, up to this many bytes (more is a retry: the answer cannot be read). */
  function attempt(pool: http.Agent, parts: HttpRequestParts, answerLimit = 0): Promise<Attempt> {
    return new Promise((resolve) => {
      let settled = false;
      let timedOut: 'timeout' | 'connect_timeout' | null = null;
      let answered = false;
      let connectTimer: LongTimeout | undefined;
      const finish = (outcome: Attempt) => {
        if (settled) return;
        settled = true;
        totalTimer.clear();
        connectTimer?.clear();
        resolve(outcome);
      };
      const totalTimer = setLongTimeout(() => {
        timedOut ??= 'timeout';
        request.destroy(new Error(`no complete answer within ${config.timeout} ms`));
      }, config.timeout);

      let request: http.ClientRequest;
      try {
        request = transport.request({
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          agent: pool,
          setHost: false,
          headers: parts.headers.flat(),
        });
      } catch (error) {
        // Node refuses header values with control characters (a record header holding a newline, for v2).
        finish({ result: { outcome: 'rejected', reason: 'invalid_header' }, staleSocket: false });
        logger.warn({ code: errorCode(error) }, 'a header value cannot be sent over HTTP; record rejected');
        return;
      }

      request.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        connectTimer = setLongTimeout(() => {
          timedOut ??= 'connect_timeout';
          request.destroy(new Error(`not connected within ${config.connect_timeout} ms`));
        }, config.connect_timeout);
        // curl's connect timeout covers the TLS handshake too.
        socket.once(secure ? 'secureConnect' : 'connect', () => connectTimer?.clear());
      });

      request.on('response', (response) => {
        answered = true;
        const result = resultForStatus({
          status: response.statusCode ?? 0,
          successStatus: config.success_status,
          retryAfterMs: parseRetryAfter(response.headers['retry-after']),
        });
        const limit = result.outcome === 'delivered' ? answerLimit : RESPONSE_EXCERPT_BYTES;
        const excerpt: Buffer[] = [];
        let kept = 0;
        let complete = false;
        response.on('data', (chunk: Buffer) => {
          if (kept < limit) excerpt.push(chunk.subarray(0, limit - kept));
          kept += chunk.length;
        });
        response.once('end', () => (complete = true));
        // For v2/v3 the status decides; the body is read to the end only so the connection can be reused.
        const done = () => {
          if (settled) return;
          if (result.outcome === 'delivered') {
            if (answerLimit === 0) finish({ result, staleSocket: false });
            else if (!complete) finish({ result: { outcome: 'retry', reason: 'answer_incomplete' }, staleSocket: false });
            else if (kept > answerLimit) finish({ result: { outcome: 'retry', reason: 'answer_too_large' }, staleSocket: false });
            else finish({ result, staleSocket: false, body: Buffer.concat(excerpt) });
            return;
          }
          const answer = Buffer.concat(excerpt).toString('utf8');
          logger.debug({ status: result.status, reason: result.reason, body: answer }, `collector answered ${result.status}`);
          finish({ result: answer === '' ? result : { ...result, answer }, staleSocket: false });
        };
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      });

      request.on('error', (error) => {
        if (answered) return;
        const code = errorCode(error);
        const reason = timedOut ?? `${TLS_CODE.test(code) ? 'tls' : 'network'}_${code.toLowerCase()}`;
        finish({ result: { outcome: 'retry', reason }, staleSocket: timedOut === null && request.reusedSocket && STALE_SOCKET_CODES.has(code) });
      });

      request.end(parts.body);
    });
  }

  /** Runs one exchange in a concurrency slot, on the connection pool; a request that met a stale kept-alive socket is sent once more. */
  async function exchange(parts: () => Promise<HttpRequestParts> | HttpRequestParts, answerLimit = 0): Promise<Attempt> {
    await gate.acquire();
    try {
      let pool: http.Agent;
      try {
        pool = await connectionPool();
      } catch (error) {
        logger.error({ ca_file: config.ca_file, code: errorCode(error) }, 'cannot read the CA file; records wait in the spool');
        return { result: { outcome: 'retry', reason: `ca_file_${errorCode(error).toLowerCase()}` }, staleSocket: false };
      }
      const request = await parts();
      const first = await attempt(pool, request, answerLimit);
      return first.staleSocket ? await attempt(pool, request, answerLimit) : first;
    } finally {
      gate.release();
    }
  }

  /**
   * Records of one batch, each with the collector's receipt for it. The lines go in requests of at
   * most batch.max_bytes; a 413 (over the collector's max_body) is sent again in halves, down to
   * single records, so a collector limit below the policy's costs requests, not records.
   */
  async function sendBatch(items: readonly BatchItem[]): Promise<DeliveryResult[]> {
    const lines = items.map(batchLine);
    const results: DeliveryResult[] = [];
    for (const run of splitBySize(lines, config.batch.max_bytes)) {
      results.push(
        ...(await sendLines(
          run.map((index) => items[index] as BatchItem),
          run.map((index) => lines[index] as string),
        )),
      );
    }
    return results;
  }

  async function sendLines(items: readonly BatchItem[], lines: readonly string[]): Promise<DeliveryResult[]> {
    const { result, body } = await exchange(() => batchRequest(config, lines), MAX_RECEIPTS_BYTES);
    if (result.outcome === 'rejected' && result.status === 413 && items.length > 1) {
      const half = Math.ceil(items.length / 2);
      logger.info({ records: items.length, answer: result.answer }, 'collector refused a batch as too large; sending it in halves');
      return [...(await sendLines(items.slice(0, half), lines.slice(0, half))), ...(await sendLines(items.slice(half), lines.slice(half)))];
    }
    if (result.outcome !== 'delivered') return items.map(() => result);
    const reading = readReceipts(body ?? Buffer.alloc(0), items, result.status ?? 200);
    if (reading.ok) return reading.results;
    logger.warn({ problem: reading.problem, records: items.length }, "cannot read the collector's receipts; the batch will be sent again");
    return items.map(() => ({ outcome: 'retry', reason: 'bad_receipts', ...(result.status === undefined ? {} : { status: result.status }) }));
  }

  function tracked<T>(work: Promise<T>, fallback: (error: unknown) => T): Promise<T> {
    const settled = work.catch((error: unknown) => {
      logger.error({ err: error }, 'unexpected delivery failure');
      return fallback(error);
    });
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
    return settled;
  }

  const internalError: DeliveryResult = { outcome: 'retry', reason: 'internal_error' };
  const clientClosed: DeliveryResult = { outcome: 'retry', reason: 'client_closed' };

  return {
    name: config.name,
    deliver(record: TelemetryRecord) {
      if (closed) return Promise.resolve(clientClosed);
      return tracked(
        exchange(() => buildRequest(record)).then((done) => done.result),
        () => internalError,
      );
    },
    ...(config.protocol === 'telem'
      ? {
          deliverBatch(items: readonly BatchItem[]) {
            if (closed) return Promise.resolve(items.map(() => clientClosed));
            return tracked(sendBatch(items), () => items.map(() => internalError));
          },
        }
      : {}),
    async close() {
      closed = true;
      await Promise.all(inFlight);
      agent?.destroy();
    },
  };
}
