/**
 * A TCP proxy on 127.0.0.1 a test controls, to give a collector a database outage without
 * touching the shared server: cut() closes every forwarded connection and refuses new ones
 * (closing them on arrival, on the same port), restore() forwards again.
 */
import net from 'node:net';
import type { TestContext } from 'node:test';

export interface TcpProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
}

export async function startTcpProxy(t: TestContext, target: { host: string; port: number }): Promise<TcpProxy> {
  let forwarding = true;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!forwarding) return client.destroy();
    const upstream = net.connect(target);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    forwarding = false;
    for (const socket of open) socket.destroy();
  };
  t.after(
    () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as net.AddressInfo).port,
    cut,
    restore() {
      forwarding = true;
    },
  };
}
