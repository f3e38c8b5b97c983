/** Load generators used by the benchmarks: one unix-socket connection per record, as probes do; keep-alive HTTP posts. */
import http from 'node:http';
import net from 'node:net';

export interface LoadResult {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Sends `total` frames over `concurrency` parallel connection loops, one connection per frame. */
export async function socketLoad(options: { path: string; frame: Buffer | ((index: number) => Buffer); total: number; concurrency: number }): Promise<LoadResult> {
  const frameFor = typeof options.frame === 'function' ? options.frame : () => options.frame as Buffer;
  let next = 0;
  const started = process.hrtime.bigint();
  const loop = async (): Promise<void> => {
    while (next < options.total) {
      const frame = frameFor(next);
      next += 1;
      await new Promise<void>((resolve, reject) => {
        const socket = net.createConnection(options.path);
        socket.on('error', reject);
        socket.end(frame, () => undefined);
        socket.on('close', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { count: options.total, seconds, perSecond: options.total / seconds };
}

export interface HttpPost {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** Posts `total` requests over `concurrency` keep-alive connections; `post(i)` gives the i-th request. */
export async function httpLoad(options: { url: string; post: (index: number) => HttpPost; total: number; concurrency: number }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  let next = 0;
  let failures = 0;
  const started = process.hrtime.bigint();
  const loop = async (): Promise<void> => {
    while (next < options.total) {
      const { body, headers } = options.post(next);
      next += 1;
      const status = await new Promise<number>((resolve, reject) => {
        const request = http.request(options.url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('error', reject);
        request.end(body);
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
