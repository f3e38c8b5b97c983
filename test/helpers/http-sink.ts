/**
 * A real HTTP/1.1 server on 127.0.0.1 written on raw TCP (or TLS) sockets, so tests see the exact
 * request bytes a client sent — head and body — as upstream's capture listener did. Each request
 * is answered by a `respond` function; the server stops by itself when the test ends.
 */
import net from 'node:net';
import { STATUS_CODES } from 'node:http';
import tls from 'node:tls';
import type { TestContext } from 'node:test';

export interface SinkRequest {
  /** The request head exactly as received, up to and including the blank line (latin1: one char per byte). */
  readonly head: string;
  readonly body: Buffer;
  /** Which connection carried it (1 = the first accepted). */
  readonly connection: number;
}

export interface SinkAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Wait before answering. */
  readonly delayMs?: number;
  /** Never answer (the client must time out). */
  readonly hang?: boolean;
  /** Close the connection after answering, without saying so in a header. */
  readonly closeAfter?: boolean;
}

export interface HttpSink {
  readonly port: number;
  readonly url: (path?: string) => string;
  readonly requests: SinkRequest[];
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Connections open right now (a client that keeps connections alive holds them open). */
  readonly openConnections: () => number;
  /** Most requests received and not yet answered at one time. */
  readonly maxInFlight: () => number;
  stop(): Promise<void>;
}

export interface SinkOptions {
  readonly respond?: (request: SinkRequest, index: number) => SinkAnswer;
  /** PEM key and certificate: serve https. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

const HEAD_END = Buffer.from('\r\n\r\n');

export async function startHttpSink(t: TestContext, options: SinkOptions = {}): Promise<HttpSink> {
  const respond: (request: SinkRequest, index: number) => SinkAnswer = options.respond ?? (() => ({ status: 201 }));
  const requests: SinkRequest[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connectionCount = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const onConnection = (socket: net.Socket) => {
    connectionCount += 1;
    const connection = connectionCount;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let closing = false;
    socket.on('data', (chunk: Buffer) => {
      // A server that has closed a connection no longer reads requests from it.
      if (closing) return;
      buffered = Buffer.concat([buffered, chunk]);
      while (!closing) {
        const headEnd = buffered.indexOf(HEAD_END);
        if (headEnd === -1) return;
        const head = buffered.subarray(0, headEnd + HEAD_END.length).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const total = headEnd + HEAD_END.length + length;
        if (buffered.length < total) return;
        const request: SinkRequest = { head, body: Buffer.from(buffered.subarray(headEnd + HEAD_END.length, total)), connection };
        buffered = buffered.subarray(total);
        requests.push(request);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const answer = respond(request, requests.length - 1);
        if (answer.closeAfter) closing = true;
        if (answer.hang) continue;
        const send = () => {
          inFlight -= 1;
          const body = Buffer.from(answer.body ?? '');
          const lines = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Status'}`];
          for (const [name, value] of Object.entries(answer.headers ?? {})) lines.push(`${name}: ${value}`);
          lines.push(`Content-Length: ${body.length}`, '', '');
          socket.write(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
          if (answer.closeAfter) socket.end();
        };
        if (answer.delayMs) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            send();
          }, answer.delayMs);
          timers.add(timer);
        } else {
          send();
        }
      }
    });
  };

  const server = options.tls ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';

  const stop = async () => {
    for (const timer of timers) clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.after(stop);
  return {
    port,
    url: (path = '/v3/collector') => `${scheme}://127.0.0.1:${port}${path}`,
    requests,
    connections: () => connectionCount,
    openConnections: () => sockets.size,
    maxInFlight: () => maxInFlight,
    stop,
  };
}
