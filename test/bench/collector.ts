/** Collector ingest (v3 and v2 posts over keep-alive, and while heavy queries run) and the whole path socket → agent → collector. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequestBuilder } from '../../engine/deliver/http-request.js';
import { recordJson } from '../../engine/deliver/record-json.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import type { TelemetryRecord } from '../../engine/record/fields.js';
import { openStore } from '../../engine/collector/storage/open-store.js';
import { heaviestPatterns, seedHeavyDatabase } from '../collector/heavy-query-data.js';
import { runCli } from '../helpers/cli.js';
import { cliEntry } from '../helpers/paths.js';
import { testRecord } from '../helpers/records.js';
import { type FloodTools, httpFloodLoad } from './flood.js';
import type { HttpPost, LoadResult } from './load.js';

export interface BenchCollector {
  readonly url: string;
  readonly child: ChildProcess;
  /** GET `path` of its query API, with a read token (the collector needs a login, as in production). */
  read(path: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startBenchCollector(options: { root: string; db: string }): Promise<BenchCollector> {
  const created = await runCli(['--root', options.root, 'collector', '--db', options.db, 'token', 'create', '--name', `bench-${Date.now()}`, '--role', 'read']);
  if (created.code !== 0) throw new Error(`telem collector token create failed: ${created.stderr}`);
  const authorization = `Bearer ${created.stdout.trim()}`;
  const child = spawn(process.execPath, [cliEntry, '--root', options.root, 'collector', '--listen', '127.0.0.1:0', '--db', options.db], {
    env: { ...process.env, TELEM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
  return {
    url,
    child,
    read: (path) => fetch(new URL(path, url), { headers: { Authorization: authorization } }),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Requests as the agent would send them, each a distinct record so none is a retransmit. */
export function benchPosts(protocol: 'v2' | 'v3', total: number): HttpPost[] {
  const { policy } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'bench' },
    destinations: { c: { type: 'http', protocol, url: 'http://127.0.0.1/' } },
    routes: [{ name: 'r', to: ['c'] }],
  });
  const config = policy?.destinations.c;
  if (config?.type !== 'http') throw new Error('bench policy did not resolve');
  const build = createRequestBuilder(config);
  return Array.from({ length: total }, (_, index) => {
    const record: TelemetryRecord = testRecord({ payload: `bench record ${index}\n${'p'.repeat(300)}` });
    const parts = build(record);
    return { body: parts.body, headers: Object.fromEntries(parts.headers) };
  });
}

/**
 * Batch requests for POST /telem/v1/records as an agent sends them: NDJSON, `perRequest` v3 records
 * a request, each with its record_id and a distinct payload (the same ~300-byte payload as benchPosts).
 */
export function batchPosts(total: number, perRequest: number): HttpPost[] {
  // The tenant header an agent sends (the v3 builder's).
  const tid = Object.entries((benchPosts('v3', 1)[0] as HttpPost).headers).filter(([name]) => name === 'X-Telemetry-TID');
  const posts: HttpPost[] = [];
  for (let start = 0; start < total; start += perRequest) {
    const lines: string[] = [];
    for (let index = start; index < Math.min(total, start + perRequest); index += 1) {
      const json = recordJson(testRecord({ payload: `bench record ${index}\n${'p'.repeat(300)}` }));
      lines.push(`${json.slice(0, -1)},"record_id":"b-${index}"}`);
    }
    posts.push({ body: Buffer.from(`${lines.join('\n')}\n`), headers: { ...Object.fromEntries(tid), 'Content-Type': 'application/x-ndjson' } });
  }
  return posts;
}

/** Records/s through POST /telem/v1/records, `perRequest` records a request. */
export async function collectorBatchIngest(options: { tools: FloodTools | null; work: string; db: string; total: number; perRequest: number; concurrency: number }): Promise<LoadResult> {
  const collector = await startBenchCollector({ root: options.work, db: options.db });
  try {
    const posts = batchPosts(options.total, options.perRequest);
    const result = await httpFloodLoad({ tools: options.tools, work: options.work, url: new URL('telem/v1/records', collector.url).href, posts, concurrency: options.concurrency });
    // A batch is answered 200 even when its lines are rejected: count what was stored.
    const stats = (await (await collector.read('api/stats')).json()) as { total: number };
    if (stats.total !== options.total) throw new Error(`batch ingest stored ${stats.total} of ${options.total} records`);
    // httpFloodLoad counts requests; the figure is records.
    return { count: options.total, seconds: result.seconds, perSecond: options.total / result.seconds };
  } finally {
    await collector.stop();
  }
}

export async function collectorIngest(options: { tools: FloodTools | null; work: string; db: string; protocol: 'v2' | 'v3'; total: number; concurrency: number }): Promise<LoadResult> {
  const collector = await startBenchCollector({ root: options.work, db: options.db });
  try {
    return await httpFloodLoad({
      tools: options.tools,
      work: options.work,
      url: new URL(`${options.protocol}/collector`, collector.url).href,
      posts: benchPosts(options.protocol, options.total),
      concurrency: options.concurrency,
    });
  } finally {
    await collector.stop();
  }
}

export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;
}

/** Slowest answer to `count` v3 records posted one after another, in ms. */
async function slowestPost(url: string, count: number, offset: number): Promise<number> {
  const [post] = benchPosts('v3', 1) as [HttpPost];
  let slowest = 0;
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    const body = Buffer.from(post.body.toString().replace('bench record 0', `query bench ${offset + index}`));
    const headers = Object.fromEntries(Object.entries(post.headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
    const response = await fetch(new URL('v3/collector', url), { method: 'POST', headers, body });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`ingest answered ${response.status}`);
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

/**
 * Ingest latency on a 20,000-record database, idle and while two clients send the heaviest
 * query the API allows over and over and a third streams full exports.
 */
export async function ingestDuringQueries(options: { root: string; db: string; count: number }): Promise<{ idleMs: number; busyMs: number }> {
  const opened = await openStore({ database: options.db, root: options.root });
  await seedHeavyDatabase(opened.store);
  await opened.store.close();
  const collector = await startBenchCollector({ root: options.root, db: options.db });
  try {
    const idleMs = await slowestPost(collector.url, options.count, 0);
    let running = true;
    const loop = async (path: string) => {
      while (running) {
        const response = await collector.read(path);
        await response.arrayBuffer();
        if (response.status !== 200 && response.status !== 503) throw new Error(`${path} answered ${response.status}`);
      }
    };
    const load = [loop(`api/stats?${heaviestPatterns()}`), loop(`api/stats?${heaviestPatterns()}`), loop('api/records?format=ndjson')];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const busyMs = await slowestPost(collector.url, options.count, options.count);
    running = false;
    await Promise.all(load);
    return { idleMs, busyMs };
  } finally {
    await collector.stop();
  }
}
