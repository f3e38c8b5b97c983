/**
 * The real `telem collector` process for tests whose subject is the process: its memory, its log
 * lines, its deadlines. Configured through a policy file's collector section, as an operator would.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { startProcess } from './collector-helpers.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** pino's levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface CollectorProcess {
  /** The `listen` URL (the first line on stdout). */
  readonly url: string;
  /** The `listen_api` URL (the second line), or url when there is one listener. */
  readonly apiUrl: string;
  readonly pid: number;
  /** The JSON log lines written to stderr so far. */
  logs(): LogLine[];
  /** Resident memory now and its peak so far, in bytes (VmRSS and VmHWM of /proc/PID/status). */
  memory(): { rss: number; peak: number };
  stop(): Promise<{ code: number | null; stderr: string }>;
}

export async function startCollectorProcess(
  t: TestContext,
  options: { collector?: Record<string, unknown>; args?: readonly string[]; logLevel?: 'debug' | 'info' } = {},
): Promise<CollectorProcess> {
  const dir = await tempDir(t);
  const policy = path.join(dir, 'collector.policy.json');
  // No login on the read side unless the test sets collector.auth (see startTestCollector).
  const collector: Record<string, unknown> = { database: `sqlite:${path.join(dir, 'collector.db')}`, auth: 'none', ...options.collector };
  await writeFile(policy, JSON.stringify({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'test-collector' }, collector }));
  const args = ['collector', '--policy', policy, '--listen', '127.0.0.1:0', ...(options.args ?? [])];
  const split = options.args?.includes('--listen-api') === true || typeof collector.listen_api === 'string';
  const started = await startProcess({
    args,
    ready: { stream: 'stdout', pattern: split ? /^(http:\/\/\S+\/)\n(http:\/\/\S+\/)\n/ : /^(http:\/\/\S+\/)\n/ },
    env: { TELEM_LOG_LEVEL: options.logLevel ?? 'info' },
  });
  t.after(() => started.stop());
  const url = started.match[1] as string;
  return {
    url,
    apiUrl: started.match[2] ?? url,
    pid: started.pid,
    logs: () =>
      started
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine),
    memory() {
      const status = readFileSync(`/proc/${started.pid}/status`, 'utf8');
      const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) * 1024;
      return { rss: kib('VmRSS'), peak: kib('VmHWM') };
    },
    stop: () => started.stop(),
  };
}
