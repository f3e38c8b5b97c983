/**
 * A forwarding HTTP proxy between the agent and the collector (node:http on 127.0.0.1) that sees
 * every delivery request the agent sends — the collector's unique index hides re-sends from its
 * stored rows, the proxy does not. Each request is forwarded as it came (method, path, headers,
 * body) to the real collector and its answer returned as it came; when the collector cannot be
 * reached the agent gets a 502, as from a load balancer with no backend.
 *
 * Per record (by the event id in the v3 JSON body) it counts the requests, and the answers the
 * collector gave with 201 — the collector holds the record from the first of those on, so every
 * later 201 is a re-send. A request keeps being forwarded when the agent goes away mid-request
 * (killed), as a real collector would go on to store it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ProxiedRecord {
  /** Requests the agent sent for it. */
  requests: number;
  /** Of those, answered 201 by the collector. */
  stored: number;
  /** Of those, answered 201 with X-Telem-Duplicate (the collector already had it). */
  duplicates: number;
  /** Not answered 201: the collector was unreachable or answered something else. */
  failed: number;
}

/** One request the proxy received: its number (in arrival order) and its record's event id. */
export interface ProxiedRequest {
  readonly request: number;
  readonly eventId: string;
}

export interface DeliveryProxy {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** Every request the agent sent, in total. */
  requests(): number;
  /** Per event id. */
  readonly records: ReadonlyMap<string, ProxiedRecord>;
  /** Requests received and not yet answered by the collector. */
  inFlight(): ProxiedRequest[];
  /** Requests whose agent connection closed before their answer (the agent died, or gave up waiting). */
  abandoned(): readonly ProxiedRequest[];
  close(): Promise<void>;
}

/** The event id of a v3 body, or "?" for a body that is not one (counted all the same). */
function eventIdOf(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { event_id?: unknown };
    return typeof parsed.event_id === 'string' ? parsed.event_id : '?';
  } catch {
    return '?';
  }
}

/** Starts a proxy forwarding to `target` (the collector's base URL); it closes after the test. */
export async function startDeliveryProxy(t: TestContext, options: { target: string }): Promise<DeliveryProxy> {
  const target = new URL(options.target);
  const upstream = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const records = new Map<string, ProxiedRecord>();
  const open = new Map<number, string>();
  const abandoned: ProxiedRequest[] = [];
  let requests = 0;
  let nextRequest = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // An agent killed mid-request leaves a request without its end: it never reached the collector.
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const eventId = eventIdOf(body);
      const counted = records.get(eventId) ?? { requests: 0, stored: 0, duplicates: 0, failed: 0 };
      records.set(eventId, counted);
      counted.requests += 1;
      requests += 1;
      const number = nextRequest++;
      open.set(number, eventId);
      res.once('close', () => {
        if (open.has(number)) abandoned.push({ request: number, eventId });
      });
      const answer = (status: number, headers: http.OutgoingHttpHeaders, reply: Buffer): void => {
        if (!open.delete(number)) return;
        if (status === 201) {
          counted.stored += 1;
          if (headers['x-telem-duplicate'] === 'true') counted.duplicates += 1;
        } else {
          counted.failed += 1;
        }
        if (res.destroyed) return;
        res.writeHead(status, headers);
        res.end(reply);
      };
      const headers = { ...req.headers, host: target.host };
      const forward = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: upstream }, (response) => {
        const reply: Buffer[] = [];
        response.on('data', (chunk: Buffer) => reply.push(chunk));
        response.on('end', () => {
          const { connection: _connection, 'keep-alive': _keepAlive, 'transfer-encoding': _encoding, ...kept } = response.headers;
          answer(response.statusCode ?? 502, { ...kept, 'content-length': String(Buffer.concat(reply).length) }, Buffer.concat(reply));
        });
        response.on('error', () => answer(502, {}, Buffer.from('collector answer cut off\n')));
      });
      forward.on('error', (error: NodeJS.ErrnoException) => {
        answer(502, { 'content-type': 'text/plain' }, Buffer.from(`collector unreachable: ${error.code ?? error.message}\n`));
      });
      forward.end(body);
    });
    req.on('error', () => undefined);
    res.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: DeliveryProxy = {
    url: `http://127.0.0.1:${port}/`,
    requests: () => requests,
    records,
    inFlight: () => [...open].map(([request, eventId]) => ({ request, eventId })),
    abandoned: () => abandoned,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstream.destroy();
    },
  };
  t.after(() => proxy.close());
  return proxy;
}
