/**
 * The real collector (`telem collector` on SQLite under a temporary root) as a child process that
 * a test can stop and start again on the same port, plus the records it stored, read back
 * through its own query API as a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { cliEntry, repoRoot } from '../helpers/paths.js';

export interface CollectorProcess {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** Where the agent posts v3 records. */
  readonly ingestUrl: string;
  /** Log lines (stderr) of every run so far. */
  readonly logs: string[];
  /** SIGTERM and wait: the collector is down until start(). */
  stop(): Promise<void>;
  /** SIGKILL and wait (no drain, no close): the collector is down until start(). */
  kill(): Promise<void>;
  /** Starts it again on the same address and database. */
  start(): Promise<void>;
}

/** A stored record as the NDJSON export gives it (only the fields the tests compare). */
export interface ExportedRecord {
  readonly id: number;
  readonly event_id: string;
  readonly classification: string;
  readonly payload: string;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

function launch(options: { root: string; listen: string; logs: string[] }): Promise<{ running: Running; url: string }> {
  const args = [cliEntry, '--root', options.root, 'collector', '--listen', options.listen, '--db', 'sqlite:/var/lib/telem/collector.db'];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, TELEM_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    const lines = stderr.split('\n');
    stderr = lines.pop() ?? '';
    options.logs.push(...lines);
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = /^(http:\/\/\S+\/)\n/.exec(stdout);
      if (match) resolve({ running: { child, exited }, url: match[1] as string });
    });
    void exited.then(() => reject(new Error(`telem collector exited before it was ready:\n${options.logs.join('\n')}`)));
  });
}

export async function startCollectorProcess(t: TestContext, options: { root: string }): Promise<CollectorProcess> {
  const logs: string[] = [];
  const first = await launch({ root: options.root, listen: '127.0.0.1:0', logs });
  let running: Running | null = first.running;
  const { url } = first;
  const listen = new URL(url).host;
  const collector: CollectorProcess = {
    url,
    ingestUrl: `${url}v3/collector`,
    logs,
    async stop() {
      if (!running) return;
      const { child, exited } = running;
      running = null;
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (!running) return;
      const { child, exited } = running;
      running = null;
      child.kill('SIGKILL');
      await exited;
    },
    async start() {
      if (running) return;
      running = (await launch({ root: options.root, listen, logs })).running;
    },
  };
  t.after(() => collector.stop());
  return collector;
}

/** Every stored record, through GET /api/records?format=ndjson. */
export async function exportedRecords(collectorUrl: string): Promise<ExportedRecord[]> {
  const response = await fetch(new URL('/api/records?format=ndjson', collectorUrl));
  if (response.status !== 200) throw new Error(`the export answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ExportedRecord);
}
