/** Starts the real agent for benchmarks and reads its counters and process figures. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliEntry } from '../helpers/paths.js';

export interface BenchAgent {
  readonly child: ChildProcess;
  readonly socketPath: string;
  readonly metricsUrl: string;
  counter(pattern: RegExp): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchAgent(options: { root: string; policyYaml: string }): Promise<BenchAgent> {
  const policy = path.join(options.root, 'bench.policy.yaml');
  await writeFile(policy, options.policyYaml);
  const child = spawn(process.execPath, [cliEntry, '--root', options.root, 'run', '--policy', policy, '--metrics', '127.0.0.1:0'], {
    env: { ...process.env, TELEM_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (const line of pending.split('\n')) {
        if (line.includes('"agent ready"')) resolve(JSON.parse(line) as Record<string, unknown>);
      }
      pending = pending.slice(pending.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
  });
  const metricsUrl = ready.metrics as string;
  return {
    child,
    socketPath: ready.socket as string,
    metricsUrl,
    async counter(pattern) {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      let total = 0;
      for (const line of text.split('\n')) if (pattern.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
      return total;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function statusField(status: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
}

/** Resident set size now and at its peak, in MiB, and context switches (wake-ups) of all its threads so far. */
export async function processFigures(pid: number): Promise<{ rssMiB: number; peakRssMiB: number; wakeups: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  let wakeups = 0;
  for (const thread of await readdir(`/proc/${pid}/task`)) {
    const threadStatus = await readFile(`/proc/${pid}/task/${thread}/status`, 'utf8').catch(() => '');
    wakeups += statusField(threadStatus, 'voluntary_ctxt_switches') + statusField(threadStatus, 'nonvoluntary_ctxt_switches');
  }
  return { rssMiB: statusField(status, 'VmRSS') / 1024, peakRssMiB: statusField(status, 'VmHWM') / 1024, wakeups };
}

/**
 * Waits until `read` reaches `target` and returns when it did. With `refused` (connections the
 * intake refused, each of them a record that will never count), fails as soon as the two together
 * reach the target, instead of waiting out the timeout for a count that cannot come.
 */
export async function waitForCount(read: () => Promise<number>, target: number, timeoutMs: number, refused?: () => Promise<number>): Promise<number> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (value >= target) return Date.now();
    const lost = refused ? await refused() : 0;
    if (lost > 0 && value + lost >= target) throw new Error(`counter reached ${value} of ${target}: the intake refused ${lost} connections`);
    if (Date.now() - started > timeoutMs) throw new Error(`counter reached ${value} of ${target} within ${timeoutMs} ms${lost > 0 ? ` (the intake refused ${lost} connections)` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
