/** Load generators used by the benchmarks: one unix-socket connection per record, as probes do; keep-alive HTTP posts. */
import http from 'node:http';
import net from 'node:net';

export interface LoadResult {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Sends `total` frames over `concurrency` parallel connection loops, one connection per frame. */
export async function socketLoad(options: { path: string; frame: Buffer; total: number; concurrency: number }): Promise<LoadResult> {
  let next = 0;
  const started = process.hrtime.bigint();
  const loop = async (): Promise<void> => {
    while (next < options.total) {
      next += 1;
      await new Promise<void>((resolve, reject) => {
        const socket = net.createConnection(options.path);
        socket.on('error', reject);
        socket.end(options.frame, () => undefined);
        socket.on('close', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { count: options.total, seconds, perSecond: options.total / seconds };
}

/** Posts `total` bodies over `concurrency` keep-alive connections. */
export async function httpLoad(options: { url: string; body: Buffer; headers: Record<string, string>; total: number; concurrency: number }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  let next = 0;
  let failures = 0;
  const started = process.hrtime.bigint();
  const loop = async (): Promise<void> => {
    while (next < options.total) {
      next += 1;
      const status = await new Promise<number>((resolve, reject) => {
        const request = http.request(options.url, { method: 'POST', agent, headers: { ...options.headers, 'content-length': String(options.body.length) } }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('error', reject);
        request.end(options.body);
      });
      if (status >= 300) failures += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  agent.destroy();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (failures > 0) throw new Error(`${failures} of ${options.total} posts failed`);
  return { count: options.total, seconds, perSecond: options.total / seconds };
}
