/** The opt-in local HTTP endpoint: Prometheus text at /metrics, the agent's status as JSON at /status. */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServerOptions {
  /** Prometheus exposition text. */
  readonly metrics: () => string;
  /** The agent's status, served as JSON. */
  readonly status: () => unknown;
  readonly host: string;
  readonly port: number;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(options.metrics());
    } else if (request.url === '/status') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(options.status())}\n`);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /status\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
