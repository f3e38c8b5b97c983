/**
 * An http(s) destination: POSTs each record over keep-alive connections (upstream opened a new TCP
 * connection per record), at most `concurrency` at once, with a connect timeout and a timeout for
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
import type { DeliveryResult, DestinationClient } from './destination.js';
import { createRequestBuilder, FRAMING_HEADERS, type HttpDestinationConfig, type HttpRequestParts } from './http-request.js';
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

/** Errors meaning a kept-alive socket was closed by the server just as we reused it. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Certificate and handshake failures (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …), told apart from network errors. */
const TLS_CODE = /CERT|SSL|TLS|SIGNATURE|ISSUER/;

interface Attempt {
  readonly result: DeliveryResult;
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
  const inFlight = new Set<Promise<DeliveryResult>>();
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

  function attempt(pool: http.Agent, parts: HttpRequestParts): Promise<Attempt> {
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
        const excerpt: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < RESPONSE_EXCERPT_BYTES) excerpt.push(chunk.subarray(0, RESPONSE_EXCERPT_BYTES - kept));
          kept += chunk.length;
        });
        // The status decides; the body is read to the end only so the connection can be reused.
        const done = () => {
          if (settled) return;
          if (result.outcome === 'delivered') {
            finish({ result, staleSocket: false });
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

  async function send(record: TelemetryRecord): Promise<DeliveryResult> {
    await gate.acquire();
    try {
      let pool: http.Agent;
      try {
        pool = await connectionPool();
      } catch (error) {
        logger.error({ ca_file: config.ca_file, code: errorCode(error) }, 'cannot read the CA file; records wait in the spool');
        return { outcome: 'retry', reason: `ca_file_${errorCode(error).toLowerCase()}` };
      }
      const parts = buildRequest(record);
      const first = await attempt(pool, parts);
      return first.staleSocket ? (await attempt(pool, parts)).result : first.result;
    } finally {
      gate.release();
    }
  }

  return {
    name: config.name,
    deliver(record) {
      if (closed) return Promise.resolve({ outcome: 'retry', reason: 'client_closed' });
      const delivery = send(record).catch((error: unknown): DeliveryResult => {
        logger.error({ err: error }, 'unexpected delivery failure');
        return { outcome: 'retry', reason: 'internal_error' };
      });
      inFlight.add(delivery);
      void delivery.finally(() => inFlight.delete(delivery));
      return delivery;
    },
    async close() {
      closed = true;
      await Promise.all(inFlight);
      agent?.destroy();
    },
  };
}
