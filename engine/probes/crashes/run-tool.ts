/**
 * Running an unwinder with a deadline. It gets a process group of its own, so at the deadline
 * SIGKILL reaches it and anything it started (a shell's children included), and what it wrote
 * until then is kept: a cut-short backtrace is still worth sending. Its environment has no
 * DEBUGINFOD_URLS: a crash handler does not download debug information from the network.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';

export interface ToolRun {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit status, or null when it was killed or died of a signal. */
  readonly code: number | null;
  readonly timedOut: boolean;
  /** Set when it could not be started at all. */
  readonly spawnError: string | null;
}

// Output beyond this is of no use: the payload holds 8192 bytes.
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The first executable file named `name` on the search path, or null. */
export async function findOnPath(name: string, searchPath: string | undefined): Promise<string | null> {
  for (const dir of (searchPath ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    ) {
      return candidate;
    }
  }
  return null;
}

export function runTool(options: { file: string; args: readonly string[]; deadline: number; env: NodeJS.ProcessEnv }): Promise<ToolRun> {
  const env = { ...options.env };
  delete env.DEBUGINFOD_URLS;
  return new Promise((resolve) => {
    const child = spawn(options.file, options.args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let settled = false;
    const collect = (chunks: Buffer[], counted: () => number, add: (n: number) => void) => (chunk: Buffer) => {
      if (counted() >= MAX_OUTPUT_BYTES) return;
      chunks.push(chunk);
      add(chunk.length);
    };
    child.stdout.on(
      'data',
      collect(
        out,
        () => outBytes,
        (n) => (outBytes += n),
      ),
    );
    child.stderr.on(
      'data',
      collect(
        err,
        () => errBytes,
        (n) => (errBytes += n),
      ),
    );
    const finish = (code: number | null, spawnError: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A grandchild killed with the group may hold the pipes a moment longer; what is read is what there is.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, timedOut, spawnError });
    };
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        killGroup();
        // Exit follows a SIGKILL at once; this is only for a process the kernel cannot reap.
        setTimeout(() => finish(null, null), 200).unref();
      },
      Math.max(0, options.deadline - Date.now()),
    );
    child.once('error', (error: NodeJS.ErrnoException) => finish(null, error.code ?? error.message));
    child.once('close', (code) => finish(code, null));
    child.once('exit', (code) => {
      // Children it left behind must not outlive the handler; 'close' then follows once the pipes end.
      killGroup();
      if (timedOut) finish(code, null);
    });
  });
}
