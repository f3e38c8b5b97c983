/** Shared by the collector tests: real collectors on 127.0.0.1, on each storage backend. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { type RunningCollector, startCollector } from '../../engine/collector/collector.js';
import { type CollectorSettings, defaultCollectorSettings } from '../../engine/collector/config/settings.js';
import { openStore } from '../../engine/collector/storage/open-store.js';
import { tokenDigest } from '../../engine/collector/validation/tenant.js';
import type { RecordStore } from '../../engine/collector/storage/store.js';
import { cliEntry } from '../helpers/paths.js';
import { skipUnlessRequired } from '../helpers/skip.js';
import { tempDir } from '../helpers/tmp.js';

/** A bearer token the collectors of ADMIN_SETTINGS take as an admin's (collector.admin_tokens), for tests of admin actions. */
export const ADMIN_TOKEN = 'telem_test-admin-token';
export const ADMIN_SETTINGS: Partial<CollectorSettings> = { admin_tokens: [{ name: 'test-admin', token: tokenDigest(ADMIN_TOKEN) }] };

export const UPSTREAM_TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';
export const POSTGRES_URL = process.env.TELEM_TEST_POSTGRES_URL;
export const POSTGRES_SKIP = skipUnlessRequired(POSTGRES_URL ? false : 'TELEM_TEST_POSTGRES_URL is not set: PostgreSQL cases skipped (.ci/provision.sh prints one)');

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** false, or why the backend's cases are skipped. */
  readonly skip: false | string;
}

/** SQLite always; PostgreSQL when TELEM_TEST_POSTGRES_URL names a database. Same cases for both. */
export const BACKENDS: readonly Backend[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: POSTGRES_SKIP },
];

/** A fresh, empty database for one test: a temp SQLite file, or a PostgreSQL schema dropped afterwards. */
export async function freshDatabase(t: TestContext, backend: Backend): Promise<{ database: string; schema?: string }> {
  if (backend.name === 'sqlite') return { database: `sqlite:${path.join(await tempDir(t), 'collector.db')}` };
  const schema = `telem_test_${randomBytes(6).toString('hex')}`;
  t.after(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return { database: POSTGRES_URL as string, schema };
}

export async function openTestStore(t: TestContext, backend: Backend): Promise<RecordStore> {
  const { store } = await openStore(await freshDatabase(t, backend));
  t.after(() => store.close());
  return store;
}

/**
 * A collector on 127.0.0.1 with a fresh database. Its read side needs no login (collector.auth: none,
 * allowed on loopback) unless the test is about logins and says `auth: 'tokens'`: the tests of
 * ingest, queries and the UI are about those, and test/collector/auth/ checks the logins.
 */
export async function startTestCollector(
  t: TestContext,
  /** database: one freshDatabase gave (and the test filled) instead of a new empty one. */
  options: { backend?: Backend; settings?: Partial<CollectorSettings>; database?: { database: string; schema?: string } } = {},
): Promise<RunningCollector> {
  const fresh = options.database ?? (await freshDatabase(t, options.backend ?? (BACKENDS[0] as Backend)));
  const settings: CollectorSettings = { ...defaultCollectorSettings(), listen: '127.0.0.1:0', auth: 'none', database: fresh.database, ...options.settings };
  const collector = await startCollector({ settings, ...(fresh.schema === undefined ? {} : { schema: fresh.schema }) });
  t.after(() => collector.close());
  return collector;
}

/** The v4 record of upstream's observed wire vectors (reference §6), as v2 header name → value. */
export function v2Headers(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    record_format_version: '4',
    classification: 'org.clearlinux/hello/world',
    severity: '1',
    machine_id: '66c196ce4222dd761470da5e7e35f6f1',
    creation_timestamp: '1700000000',
    arch: 'x86_64',
    host_type: 'blank|blank|blank',
    build: '39000',
    kernel_version: '6.5.7-1355.native',
    payload_format_version: '1',
    system_name: 'clear-linux-os',
    board_name: 'NUC7i5BNB|Intel Corporation',
    cpu_model: 'Intel(R) Core(TM) i5-7260U CPU @ 2.20GHz',
    bios_version: 'BNKBL357.86A.0067.2018.0814.1500',
    event_id: '39cc109a1079df96376693ebc7a0f632',
    'X-Telemetry-TID': UPSTREAM_TID,
    'Content-Type': 'application/text',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The same record as the current client's v3 JSON body (all values strings). */
export function v3Body(overrides: Record<string, string | undefined> = {}, payload = 'hello\n'): Record<string, string> {
  const { 'X-Telemetry-TID': _tid, 'Content-Type': _type, ...fields } = v2Headers();
  const body: Record<string, string | undefined> = { ...fields, payload, ...overrides };
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** Sends bytes exactly as given over a TCP connection and reads one HTTP response. */
export function rawRequest(url: string, bytes: Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const tryParse = () => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return;
      socket.destroy();
      const body = data.subarray(end + 4, end + 4 + length);
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body, json: () => JSON.parse(body.toString('utf8')) });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      tryParse();
    });
    socket.on('error', reject);
    socket.on('end', () => reject(new Error(`connection closed before a full response: ${Buffer.concat(chunks).toString('latin1')}`)));
    socket.write(bytes);
  });
}

/** A request head (CRLF line ends) plus body, for raw sending. */
export function rawHttp(options: { method?: string; path: string; headers: Record<string, string>; body?: Buffer | string }): Buffer {
  const body = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body ?? '', 'utf8');
  const lines = [`${options.method ?? 'POST'} ${options.path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`)];
  lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

/** Where a collector listens: an in-process RunningCollector or a collector process. */
export type CollectorUrl = Pick<RunningCollector, 'url'>;

export async function postV2(collector: CollectorUrl, headers: Record<string, string>, body: string | Buffer = 'hello\n', pathname = '/v2/collector'): Promise<RawResponse> {
  return rawRequest(collector.url, rawHttp({ path: pathname, headers, body }));
}

export async function postV3(collector: CollectorUrl, body: unknown, headers: Record<string, string> = { 'X-Telemetry-TID': UPSTREAM_TID }): Promise<RawResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'Content-Type': 'application/json', ...headers }, body: text }));
}

export async function getJson<T = Record<string, unknown>>(collector: CollectorUrl, pathAndQuery: string): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(pathAndQuery, collector.url));
  return { status: response.status, body: (await response.json()) as T };
}

export interface StartedProcess {
  /** The match of the readiness pattern. */
  readonly match: RegExpExecArray;
  readonly pid: number;
  /** Everything the process wrote to stderr so far (for telem commands: JSON log lines). */
  stderr(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

/** Runs the real `telem` binary until a pattern shows up on its stdout or stderr (for long-running commands). */
export function startProcess(options: { args: readonly string[]; ready: { stream: 'stdout' | 'stderr'; pattern: RegExp }; env?: NodeJS.ProcessEnv }): Promise<StartedProcess> {
  const child = spawn(process.execPath, [cliEntry, ...options.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const output = { stdout: '', stderr: '' };
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let stopped: Promise<{ code: number | null; stderr: string }> | null = null;
  return new Promise((resolve, reject) => {
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].on('data', (chunk: Buffer) => {
        output[stream] += chunk.toString();
        const match = stream === options.ready.stream ? options.ready.pattern.exec(output[stream]) : null;
        if (match) {
          resolve({
            match,
            pid: child.pid as number,
            stderr: () => output.stderr,
            stop() {
              stopped ??= (async () => {
                child.kill('SIGTERM');
                return { code: await exited, stderr: output.stderr };
              })();
              return stopped;
            },
          });
        }
      });
    }
    void exited.then((code) => reject(new Error(`telem ${options.args.join(' ')} exited with ${code} before it was ready: ${output.stderr}`)));
  });
}
