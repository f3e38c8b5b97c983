/** Running `telem crash-report` as the kernel would: a policy under a temporary root, the core on stdin, the kernel's four arguments. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli, type CliResult } from './cli.js';

/** A policy with the given collection.probes.crashes, one local destination, no opt-in needed unless asked. */
export function crashPolicy(crashes: Record<string, unknown>, options: { requireOptIn?: boolean; destination?: string } = {}): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: crashes }
consent: { require_opt_in: ${options.requireOptIn ?? false} }
collection: { probes: { crashes: ${JSON.stringify(crashes)} } }
destinations: { central: ${options.destination ?? '{ type: local }'} }
routes: [{ name: all, to: [central] }]
`;
}

/** Writes the machine's policy where `telem run` (and so crash-report) finds it under the root. */
export async function writeMachinePolicy(root: string, yaml: string): Promise<void> {
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics/telem.policy.yaml'), yaml);
}

/** An executable shell script named `name` in `dir`. */
export async function writeScript(dir: string, name: string, body: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}`);
  await chmod(file, 0o755);
  return file;
}

export interface CrashReportRun extends CliResult {
  /** The pino lines on stderr. */
  readonly logs: Record<string, unknown>[];
  readonly elapsedMs: number;
}

/** `telem --root ROOT crash-report PID SIGNAL COMM PATH` (PATH written with "!" as the kernel's %E), the core on stdin. */
export async function runCrashReport(options: {
  root: string;
  pid: number;
  signal?: number;
  comm: string;
  executable: string;
  core: Buffer;
  env?: NodeJS.ProcessEnv;
}): Promise<CrashReportRun> {
  const started = Date.now();
  const result = await runCli(['--root', options.root, 'crash-report', String(options.pid), String(options.signal ?? 11), options.comm, options.executable.replaceAll('/', '!')], {
    input: options.core,
    ...(options.env ? { env: options.env } : {}),
  });
  const elapsedMs = Date.now() - started;
  const logs = result.stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`crash-report wrote a stderr line that is not pino JSON: ${line}\n${result.stderr}`);
      }
    });
  return { ...result, logs, elapsedMs };
}
