/** Runs the real agent (`telem run`) as a child process, as an operator would, and stops it after the test. */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { cliEntry, repoRoot } from './paths.js';

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly socketPath: string;
  /** Parsed log lines so far (pino JSON on stderr; any other line fails the test). */
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
  const waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void; reject: (error: Error) => void }[] = [];
  // Every stderr line must be one pino JSON object, as pino's own tests parse theirs: anything else
  // (a stack trace, a warning, a stray write) fails the test, at the next waitForLog and at its end.
  const notJson: string[] = [];
  const notJsonError = () => new Error(`the agent wrote ${notJson.length} stderr line(s) that are not pino JSON:\n${notJson.join('\n')}`);
  let pending = '';
  const parseLines = (lines: string[]) => {
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
        line = parsed as Record<string, unknown>;
      } catch {
        notJson.push(text);
        for (const waiter of waiters.splice(0)) waiter.reject(notJsonError());
        continue;
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stderr?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    parseLines(lines);
  });
  // A last line without its newline is still a line.
  child.stderr?.once('end', () => {
    if (pending !== '') parseLines([pending]);
    pending = '';
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    if (notJson.length > 0) return Promise.reject(notJsonError());
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not log the expected line within ${timeoutMs} ms; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      waiters.push({ predicate, resolve: (line) => (clearTimeout(timer), resolve(line)), reject: (error) => (clearTimeout(timer), reject(error)) });
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
  t.after(async () => {
    await agent.stop();
    // stderr may still hold lines the exit came before.
    await new Promise<void>((resolve) => (child.stderr === null || child.stderr.readableEnded ? resolve() : child.stderr.once('close', () => resolve())));
    if (notJson.length > 0) throw notJsonError();
  });
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
