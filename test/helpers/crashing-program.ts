/**
 * A real crash for the crash probe's tests: a C program compiled here with gcc -g -O0 that
 * starts a second thread, waits until it runs, and then writes through NULL in telem_test_crash_here() (SIGSEGV),
 * and the core it leaves. The core comes from the kernel when kernel.core_pattern is a plain
 * file name (written in the program's working directory, with `ulimit -c unlimited`); when the
 * kernel pipes cores elsewhere, gdb runs the program to its crash and writes the core itself
 * (generate-core-file), so the tests never depend on (or change) the machine's core_pattern.
 */
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export const CRASHER_NAME = 'telem-crasher';

/** The lines of the frames the crash leaves in the crashing thread. */
export const CRASH_LINES = { crashHere: 5, caller: 6, main: 12 } as const;

const SOURCE = `#include <pthread.h>
#include <stddef.h>
#include <unistd.h>
static volatile int started;
__attribute__((noinline)) void telem_test_crash_here(volatile int *p) { *p = 42; }
__attribute__((noinline)) void telem_test_caller(void) { telem_test_crash_here(NULL); }
static void *idle_thread(void *arg) { started = 1; for (;;) pause(); return arg; }
int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, idle_thread, NULL);
  while (!started) usleep(1000); /* a thread still in clone() has no stack to unwind yet */
  telem_test_caller();
  return 0;
}
`;

export interface CrashingProgram {
  readonly program: string;
  readonly source: string;
}

export async function buildCrashingProgram(dir: string): Promise<CrashingProgram> {
  const source = path.join(dir, 'telem-crasher.c');
  const program = path.join(dir, CRASHER_NAME);
  await writeFile(source, SOURCE);
  await promisify(execFile)('gcc', ['-g', '-O0', '-pthread', '-o', program, source]);
  return { program, source };
}

export async function kernelCorePattern(): Promise<string> {
  return (await readFile('/proc/sys/kernel/core_pattern', 'utf8')).trim();
}

/** A core_pattern the kernel writes as a file in the crashing process's working directory. */
export function isPlainFileName(pattern: string): boolean {
  return pattern !== '' && !pattern.startsWith('|') && !pattern.includes('/');
}

export interface Crash {
  readonly core: string;
  readonly pid: number;
  readonly by: 'kernel' | 'gdb';
}

function onlyNewFile(before: readonly string[], after: readonly string[]): string | undefined {
  const added = after.filter((name) => !before.includes(name));
  return added.length === 1 ? added[0] : undefined;
}

/** Runs the program in `dir` until it crashes; the kernel's core when it writes one there, else gdb's. */
export async function crash(options: { program: string; dir: string; by?: 'kernel' | 'gdb' }): Promise<Crash> {
  const by = options.by ?? (isPlainFileName(await kernelCorePattern()) ? 'kernel' : 'gdb');
  const before = await readdir(options.dir);
  if (by === 'kernel') {
    const child = spawn('sh', ['-c', `ulimit -c unlimited; exec ./${path.basename(options.program)}`], { cwd: options.dir, stdio: 'ignore' });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, killedBy) => resolve(killedBy)));
    if (signal !== 'SIGSEGV') throw new Error(`the crashing program ended with ${signal ?? 'an exit'}, not SIGSEGV`);
    const name = onlyNewFile(before, await readdir(options.dir));
    if (name === undefined) throw new Error(`the kernel wrote no core in ${options.dir} (core_pattern ${await kernelCorePattern()})`);
    return { core: path.join(options.dir, name), pid: child.pid as number, by };
  }
  const core = path.join(options.dir, 'core.gdb');
  const { stdout } = await promisify(execFile)(
    'gdb',
    ['-batch', '-nx', '-iex', 'set debuginfod enabled off', '-ex', 'run', '-ex', 'info inferiors', '-ex', `generate-core-file ${core}`, options.program],
    { cwd: options.dir },
  );
  const pid = Number(/\bprocess (\d+)/.exec(stdout)?.[1]);
  if (!/SIGSEGV/.test(stdout) || !Number.isInteger(pid)) throw new Error(`gdb did not see the program crash:\n${stdout}`);
  return { core, pid, by };
}

/** The crashing thread's first frames, the same with either unwinder. */
export function expectedStart(options: { program: string; source: string; pid: number }): string {
  const { program, source, pid } = options;
  return (
    `Process: ${program}\nPID: ${pid}\nSignal: 11\n\nBacktrace (TID ${pid}):\n` +
    `#0 telem_test_crash_here() - [${program}] - ${source}:${CRASH_LINES.crashHere}\n` +
    `#1 telem_test_caller() - [${program}] - ${source}:${CRASH_LINES.caller}\n` +
    `#2 main() - [${program}] - ${source}:${CRASH_LINES.main}\n`
  );
}
