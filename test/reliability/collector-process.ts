/**
 * The real collector (`telem collector` on SQLite under a temporary root) as a child process that
 * a test can stop and start again on the same port, plus the records it stored, read back
 * through its own query API as a user would: with a read token made by `telem collector token create`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { cliEntry, repoRoot } from '../helpers/paths.js';

export interface CollectorProcess {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** Where the agent posts v3 records. */
  readonly ingestUrl: string;
  /** A read token for its query API. */
  readonly token: string;
  /** Log lines (stderr) of every run so far. */
  readonly logs: string[];
  /** SIGTERM and wait: the collector is down until start(). */
  stop(): Promise<void>;
  /** kill -9 and wait: no chance to finish what it was doing. */
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

const DATABASE = ['--db', 'sqlite:/var/lib/telem/collector.db'];

function launch(options: { root: string; listen: string; logs: string[] }): Promise<{ running: Running; url: string }> {
  const args = [cliEntry, '--root', options.root, 'collector', '--listen', options.listen, ...DATABASE];
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
  const created = await runCli(['--root', options.root, 'collector', ...DATABASE, 'token', 'create', '--name', 'reliability', '--role', 'read']);
  if (created.code !== 0) throw new Error(`telem collector token create failed: ${created.stderr}`);
  const token = created.stdout.trim();
  const first = await launch({ root: options.root, listen: '127.0.0.1:0', logs });
  let running: Running | null = first.running;
  const { url } = first;
  const listen = new URL(url).host;
  const end = async (signal: NodeJS.Signals) => {
    if (!running) return;
    const { child, exited } = running;
    running = null;
    child.kill(signal);
    await exited;
  };
  const collector: CollectorProcess = {
    url,
    ingestUrl: `${url}v3/collector`,
    token,
    logs,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async start() {
      if (running) return;
      running = (await launch({ root: options.root, listen, logs })).running;
    },
  };
  t.after(() => collector.stop());
  return collector;
}

/** Every stored record, through GET /api/records?format=ndjson. */
export async function exportedRecords(collector: Pick<CollectorProcess, 'url' | 'token'>): Promise<ExportedRecord[]> {
  const response = await fetch(new URL('/api/records?format=ndjson', collector.url), { headers: { Authorization: `Bearer ${collector.token}` } });
  if (response.status !== 200) throw new Error(`the export answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ExportedRecord);
}
