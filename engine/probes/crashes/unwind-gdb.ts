/**
 * Unwinding with gdb, for machines without elfutils. gdb needs the executable named (it comes
 * from %E, or from the core's NT_FILE note) and prints no module for a frame that has source, so
 * modules come from the core's file mappings (core-notes.ts), named as libdwfl names them.
 * Frame arguments are not printed: their values are the crashed program's data. Threads are
 * put in gdb's numbering order (thread 1 is the one that crashed), as libdwfl lists them.
 *
 *   Thread 2 (Thread 0x7f8cbbf4a6c0 (LWP 25130)):
 *   #0  0x00007f8cbc021df2 in __libc_pause (...) at /build/pause.c:29
 *   #1  0x00007f8cbc0578ec in clone3 (...) from /lib/x86_64-linux-gnu/libc.so.6
 */
import path from 'node:path';
import type { Backtrace, Frame, ThreadBacktrace } from './backtrace.js';
import { type CoreNotes, moduleAt } from './core-notes.js';

export function gdbArgs(options: { core: string; executable: string | null; maxFrames: number }): string[] {
  return [
    '-batch',
    '-nx',
    '-iex',
    'set debuginfod enabled off',
    '-ex',
    'set filename-display absolute',
    '-ex',
    'set print frame-arguments none',
    '-ex',
    'set print frame-info location-and-address',
    '-ex',
    'set print demangle off',
    // libdwfl unwinds past main and the entry point; so does gdb with these.
    '-ex',
    'set backtrace past-main on',
    '-ex',
    'set backtrace past-entry on',
    '-ex',
    `thread apply all bt ${options.maxFrames}`,
    ...(options.executable === null ? [] : [options.executable]),
    '--core',
    options.core,
  ];
}

const THREAD_LINE = /^Thread (\d+) \((.*)\):$/;
const FRAME_LINE = /^#(\d+)\s+(?:0x([0-9a-f]+) in )?(.*)$/;
const SOURCE_SUFFIX = / at (.+):(\d+)$/;
const LIBRARY_SUFFIX = / from (\S+)$/;
const STOPPED_LINE = /^Backtrace stopped: (.*)$/;

/** "name (...)" → "name": the text before the last top-level parenthesised group. */
function functionName(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed.endsWith(')')) return trimmed === '' ? null : trimmed;
  let depth = 0;
  for (let index = trimmed.length - 1; index >= 0; index--) {
    if (trimmed[index] === ')') depth++;
    else if (trimmed[index] === '(' && --depth === 0) {
      const name = trimmed.slice(0, index).trim();
      return name === '' || name === '??' ? null : name;
    }
  }
  return trimmed;
}

function parseFrame(match: RegExpExecArray, notes: CoreNotes | null): Frame {
  let rest = match[3] as string;
  let source: Frame['source'] = null;
  let library: string | null = null;
  const at = SOURCE_SUFFIX.exec(rest);
  if (at) {
    source = { file: at[1] as string, line: Number(at[2]) };
    rest = rest.slice(0, at.index);
  } else {
    const from = LIBRARY_SUFFIX.exec(rest);
    if (from) {
      library = from[1] as string;
      rest = rest.slice(0, from.index);
    }
  }
  const address = match[2] === undefined ? null : BigInt(`0x${match[2]}`);
  // gdb shows a return address; libdwfl looked up the call (pc - 1) for every frame but the first.
  const lookup = address === null ? null : match[1] === '0' ? address : address - 1n;
  let module = notes && lookup !== null ? moduleAt(notes, lookup) : null;
  if (module === null && library !== null) module = library === notes?.executable ? library : path.basename(library);
  // "<signal handler called>" is gdb's word for the signal trampoline, which libdwfl left unnamed.
  return { symbol: rest.trim().startsWith('<') ? null : functionName(rest), module, source };
}

export function parseGdb(stdout: string, notes: CoreNotes | null): { threads: ThreadBacktrace[]; stopped: string | null } {
  const threads: { number: number; thread: { tid: number; frames: Frame[] } }[] = [];
  let stopped: string | null = null;
  for (const line of stdout.split('\n')) {
    const thread = THREAD_LINE.exec(line);
    if (thread) {
      const ids = thread[2] as string;
      const tid = Number(/\bLWP (\d+)/.exec(ids)?.[1] ?? /\bprocess (\d+)/.exec(ids)?.[1] ?? 0);
      threads.push({ number: Number(thread[1]), thread: { tid, frames: [] } });
      continue;
    }
    const current = threads.at(-1);
    if (!current) continue;
    const frame = FRAME_LINE.exec(line);
    if (frame) {
      current.thread.frames.push(parseFrame(frame, notes));
      continue;
    }
    const stop = STOPPED_LINE.exec(line);
    if (stop) stopped ??= `thread ${current.thread.tid}: backtrace stopped: ${stop[1] as string}`;
  }
  threads.sort((a, b) => a.number - b.number);
  return { threads: threads.map((entry) => entry.thread), stopped };
}

/** gdb's first complaint that is not a warning, for a core it could not read. */
function gdbComplaint(stderr: string): string | null {
  for (const line of stderr.split('\n')) {
    const text = line.trim();
    if (text !== '' && !text.startsWith('warning:')) return text;
  }
  return null;
}

export function gdbBacktrace(run: { stdout: string; stderr: string; code: number | null }, notes: CoreNotes | null): Omit<Backtrace, 'error'> & { problem: string | null } {
  const parsed = parseGdb(run.stdout, notes);
  let problem = parsed.stopped;
  if (parsed.threads.length === 0) problem = gdbComplaint(run.stderr) ?? `gdb found no threads in the core (exit status ${run.code ?? 'unknown'})`;
  return { unwinder: 'gdb', pid: notes?.pid ?? null, threads: parsed.threads, problem };
}
