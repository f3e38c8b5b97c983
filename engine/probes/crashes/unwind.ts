/**
 * Unwinding a core with the unwinder the settings name (`auto`: eu-stack, else gdb, whichever is
 * on PATH first), killed at the deadline. Never throws: whatever goes wrong — no unwinder, one
 * that cannot start, fails or runs out of time — is the backtrace's `error`, and the frames it
 * printed until then are kept.
 */
import type { ProbeSettings } from '../probe.js';
import type { Backtrace, UnwinderName } from './backtrace.js';
import type { CoreNotes } from './core-notes.js';
import { findOnPath, runTool } from './run-tool.js';
import { euStackArgs, euStackBacktrace } from './unwind-eu-stack.js';
import { gdbArgs, gdbBacktrace } from './unwind-gdb.js';

export interface UnwindOptions {
  readonly core: string;
  /** The crashed program (gdb needs it; eu-stack finds it from the core). */
  readonly executable: string | null;
  readonly notes: CoreNotes | null;
  readonly unwinder: ProbeSettings['crashes']['unwinder'];
  readonly maxFrames: number;
  /** Epoch ms at which the unwinder is killed. */
  readonly deadline: number;
  /** For the message when the deadline is reached. */
  readonly timeoutMs: number;
  /** Its PATH is where the unwinders are looked for. */
  readonly env: NodeJS.ProcessEnv;
}

async function chooseUnwinder(wanted: UnwindOptions['unwinder'], searchPath: string | undefined): Promise<{ name: UnwinderName; file: string } | string> {
  const candidates: UnwinderName[] = wanted === 'auto' ? ['eu-stack', 'gdb'] : [wanted];
  for (const name of candidates) {
    const file = await findOnPath(name, searchPath);
    if (file) return { name, file };
  }
  return wanted === 'auto' ? 'no unwinder is installed: neither eu-stack (elfutils) nor gdb is on PATH' : `the unwinder ${wanted} (collection.probes.crashes.unwinder) is not on PATH`;
}

export async function unwindCore(options: UnwindOptions): Promise<Backtrace> {
  const chosen = await chooseUnwinder(options.unwinder, options.env.PATH);
  if (typeof chosen === 'string') return { unwinder: null, pid: null, threads: [], error: chosen };
  const args =
    chosen.name === 'eu-stack'
      ? euStackArgs({ core: options.core, maxFrames: options.maxFrames })
      : gdbArgs({ core: options.core, executable: options.executable, maxFrames: options.maxFrames });
  const run = await runTool({ file: chosen.file, args, deadline: options.deadline, env: options.env });
  if (run.spawnError !== null) return { unwinder: chosen.name, pid: null, threads: [], error: `${chosen.name} could not be started: ${run.spawnError}` };
  const parsed = chosen.name === 'eu-stack' ? euStackBacktrace(run) : gdbBacktrace(run, options.notes);
  let error = parsed.problem;
  if (run.timedOut) error = `${chosen.name} was killed to keep the crash report within the timeout (${options.timeoutMs} ms)`;
  else if (run.code === null) error = `${chosen.name} was killed before it finished`;
  return { unwinder: parsed.unwinder, pid: parsed.pid, threads: parsed.threads, error };
}
