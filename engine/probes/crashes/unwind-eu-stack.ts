/**
 * Unwinding with elfutils' eu-stack, the libdwfl unwinder upstream's crashprobe linked: the same
 * frames, module names and source lines upstream sent. `-r` keeps the raw ELF symbol names
 * (upstream's dwfl_module_addrname; no -i/-d, which would put DWARF names in their place), `-m`
 * the module, `-s` the source line, `-n` stops at max_frames. No --executable: libdwfl then
 * names the program by its full path, as upstream did. Output (per thread):
 *
 *   PID 1234 - core
 *   TID 1234:
 *   #0  0x0000556dd938f178 crash_here - /tmp/prog
 *       /tmp/p.c:5:67
 *   #1  0x00007f8cbbf7524a - libc.so.6
 */
import type { Backtrace, Frame, ThreadBacktrace } from './backtrace.js';

export function euStackArgs(options: { core: string; maxFrames: number }): string[] {
  return ['--core', options.core, '-r', '-m', '-s', '-n', String(options.maxFrames)];
}

const PID_LINE = /^PID (\d+) - /;
const TID_LINE = /^TID (\d+):$/;
// "#N  0xADDR[ symbol][ - module]"; a symbol never starts with "- ".
const FRAME_LINE = /^#(\d+)\s+0x[0-9a-f]+(?: (?!- )(\S+))?(?: - (.+))?$/;
// "    FILE:LINE[:COLUMN]" (upstream sent FILE:LINE).
const SOURCE_LINE = /^\s+(.+?):(\d+)(?::\d+)?$/;
// Not an error: eu-stack saying it stopped at -n.
const FRAME_LIMIT_NOTICE = /shown max number of frames/;

interface MutableThread {
  tid: number;
  frames: Frame[];
}

export function parseEuStack(stdout: string): { pid: number | null; threads: ThreadBacktrace[] } {
  let pid: number | null = null;
  const threads: MutableThread[] = [];
  let last: { symbol: string | null; module: string | null; source: Frame['source'] } | null = null;
  const flush = () => {
    if (last) threads.at(-1)?.frames.push(last);
    last = null;
  };
  for (const line of stdout.split('\n')) {
    const pidMatch = PID_LINE.exec(line);
    if (pidMatch) {
      pid = Number(pidMatch[1]);
      continue;
    }
    const tid = TID_LINE.exec(line);
    if (tid) {
      flush();
      threads.push({ tid: Number(tid[1]), frames: [] });
      continue;
    }
    const frame = FRAME_LINE.exec(line);
    if (frame && threads.length > 0) {
      flush();
      last = { symbol: frame[2] ?? null, module: frame[3] ?? null, source: null };
      continue;
    }
    const source = SOURCE_LINE.exec(line);
    if (source && last) last.source = { file: source[1] as string, line: Number(source[2]) };
  }
  flush();
  return { pid, threads };
}

/** The first problem eu-stack reported, without its "[/usr/bin/]eu-stack: " prefix; null when there was none. */
export function euStackError(stderr: string): string | null {
  for (const line of stderr.split('\n')) {
    const text = line.replace(/^(?:\S*\/)?eu-stack: /, '').trim();
    if (text !== '' && !FRAME_LIMIT_NOTICE.test(text)) return text;
  }
  return null;
}

export function euStackBacktrace(run: { stdout: string; stderr: string; code: number | null }): Omit<Backtrace, 'error'> & { problem: string | null } {
  const parsed = parseEuStack(run.stdout);
  // 0: all frames shown; 1: some, with non-fatal errors (or only the -n notice); 2: none (a fatal error).
  const problem = run.code === 0 ? null : (euStackError(run.stderr) ?? (run.code === 1 ? null : `eu-stack exited with status ${run.code ?? 'unknown'}`));
  return { unwinder: 'eu-stack', pid: parsed.pid, threads: parsed.threads, problem };
}
