/**
 * Load generators written in C (test/bench/c/), compiled here with the system's compiler, so
 * many probe-like or HTTP clients can run at once without a Node client being the limit that
 * gets measured. Without a compiler the Node generators in load.ts are used (and the run says so).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fromRoot } from '../helpers/paths.js';
import { type HttpPost, type LoadResult, httpLoad, socketLoad } from './load.js';

const run = promisify(execFile);

/** The 24-character slot probe-flood fills with "index-sendtime_ms" in each record. */
export const FLOOD_MARKER = '@'.repeat(24);

export interface FloodTools {
  readonly probeFlood: string;
  readonly httpFlood: string;
}

export async function buildFloodTools(work: string): Promise<FloodTools | null> {
  try {
    const tools = { probeFlood: path.join(work, 'probe-flood'), httpFlood: path.join(work, 'http-flood') };
    await run('cc', ['-O2', '-o', tools.probeFlood, fromRoot('test', 'bench', 'c', 'probe-flood.c')]);
    await run('cc', ['-O2', '-o', tools.httpFlood, fromRoot('test', 'bench', 'c', 'http-flood.c')]);
    return tools;
  } catch {
    return null;
  }
}

async function timed(work: () => Promise<unknown>, count: number): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { count, seconds, perSecond: count / seconds };
}

/**
 * One connection per record over a unix socket, `concurrency` clients at once. The clients do not
 * wait for anything, as libtelemetry's do not, except that at most `inFlight` connections (split
 * between the clients) may still be open on the server's side: the intake closes a connection once
 * its record is durable, and it refuses connections as `overloaded` once the ones waiting for a
 * slot fill its wait queue, so a load that outruns it must be held back or records are lost. A
 * server that keeps up never makes a client wait. (The Node generators wait for each close.)
 */
export async function floodLoad(options: { tools: FloodTools | null; work: string; path: string; frame: Buffer; total: number; concurrency: number; inFlight: number }): Promise<LoadResult> {
  const { tools } = options;
  if (tools === null) return socketLoad(options);
  const frameFile = path.join(options.work, `frame-${process.hrtime.bigint()}`);
  await writeFile(frameFile, options.frame);
  const perClient = Math.max(1, Math.floor(options.inFlight / options.concurrency));
  return timed(() => run(tools.probeFlood, [options.path, frameFile, String(options.total), String(options.concurrency), String(perClient)]), options.total);
}

/** POSTs over `concurrency` keep-alive connections. */
export async function httpFloodLoad(options: { tools: FloodTools | null; work: string; url: string; posts: readonly HttpPost[]; concurrency: number }): Promise<LoadResult> {
  const { tools, posts } = options;
  if (tools === null) return httpLoad({ url: options.url, post: (index) => posts[index] as HttpPost, total: posts.length, concurrency: options.concurrency });
  const url = new URL(options.url);
  const requests = posts.map((post) => {
    const headers = Object.entries(post.headers).filter(([name]) => !/^(host|content-length|connection)$/i.test(name));
    const head = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, ...headers.map(([name, value]) => `${name}: ${value}`), `Content-Length: ${post.body.length}`, '', ''].join('\r\n');
    const request = Buffer.concat([Buffer.from(head, 'latin1'), post.body]);
    return Buffer.concat([Buffer.from(`${request.length}\n`), request]);
  });
  const requestsFile = path.join(options.work, `requests-${process.hrtime.bigint()}`);
  await writeFile(requestsFile, Buffer.concat(requests));
  return timed(() => run(tools.httpFlood, [url.hostname, url.port, requestsFile, String(options.concurrency)]), posts.length);
}
