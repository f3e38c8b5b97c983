/** Runs the real agent (`telem run`) as a child process, as an operator would, and stops it after the test. */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { cliEntry, repoRoot } from './paths.js';

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly socketPath: string;
  /** Parsed log lines so far (pino JSON on stderr). */
  readonly logs: Record<string, unknown>[];
  /** Resolves once a log line satisfies the predicate. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** kill -9: no chance to clean up. */
  kill(): Promise<void>;
}

export async function writePolicy(root: string, yaml: string, name = 'policy.yaml'): Promise<string> {
  const file = path.join(root, name);
  await writeFile(file, yaml);
  return file;
}

export async function startAgent(t: TestContext, options: { root: string; policy?: string; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<AgentProcess> {
  const args = [cliEntry, '--root', options.root, 'run', ...(options.policy ? ['--policy', options.policy] : []), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, TELEM_LOG_LEVEL: 'debug', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text, raw: true };
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not log the expected line within ${timeoutMs} ms; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      waiters.push({ predicate, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`agent exited with ${code}; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
      });
    });
  };
  const ready = await waitForLog((line) => line.msg === 'agent ready');
  let done = false;
  const agent: AgentProcess = {
    child,
    socketPath: ready.socket as string,
    logs,
    waitForLog,
    async stop() {
      if (done) return exited;
      done = true;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      done = true;
      child.kill('SIGKILL');
      await exited;
    },
  };
  t.after(() => agent.stop());
  return agent;
}

/**
 * A policy with one destination and one route taking every record, no opt-in needed: for tests
 * about something other than routing. `destination` is a YAML flow mapping; `extra` adds sections.
 */
export function oneRoutePolicy(options: { name: string; destination: string; extra?: string }): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: ${options.name} }
consent: { require_opt_in: false }
${options.extra ?? ''}destinations: { central: ${options.destination} }
routes: [{ name: all, to: [central] }]
`;
}
