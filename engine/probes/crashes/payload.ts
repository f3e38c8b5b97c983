/**
 * The crash payload, byte for byte upstream's (crash_probe.c frame_cb/thread_cb/main):
 *
 *   Process: /usr/bin/prog
 *   PID: 1234
 *   Signal: 11
 *   [Error: why the backtrace is incomplete]
 *
 *   Backtrace (TID 1234):
 *   #0 crash_here() - [/usr/bin/prog] - /src/prog.c:5
 *   #1 ??? - [libc.so.6]
 *   #2 (no symbols)
 *
 * at most `maxFrames` frames a thread, and at most 8192 bytes: a longer backtrace ends with
 * "...\n" after a whole line (the crashing thread comes first, so it is what is kept).
 */
import { MAX_PAYLOAD_BYTES } from '../../record/payload.js';
import type { Frame, ThreadBacktrace } from './backtrace.js';

export interface CrashPayloadInput {
  /** The executable's path (upstream: %E with "!" turned back into "/"). */
  readonly process: string;
  readonly pid: number;
  readonly signal: number | null;
  readonly error: string | null;
  readonly threads: readonly ThreadBacktrace[];
  readonly maxFrames: number;
}

const TRUNCATION_MARK = '...\n';
// What a record payload may not hold (engine/record/payload.ts): C0 controls but whitespace, DEL.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

function clean(text: string): string {
  return text.replace(CONTROL, '?');
}

export function frameLine(index: number, frame: Frame): string {
  let line: string;
  if (frame.symbol !== null && frame.module !== null) line = `#${index} ${frame.symbol}() - [${frame.module}]`;
  else if (frame.module !== null) line = `#${index} ??? - [${frame.module}]`;
  else line = `#${index} (no symbols)`;
  if (frame.source) line += ` - ${frame.source.file}:${frame.source.line}`;
  return `${clean(line)}\n`;
}

export function crashHeader(input: Pick<CrashPayloadInput, 'process' | 'pid' | 'signal' | 'error'>): string {
  let header = `Process: ${clean(input.process)}\nPID: ${input.pid}\n`;
  if (input.signal !== null) header += `Signal: ${input.signal}\n`;
  if (input.error !== null) header += `Error: ${clean(input.error.replace(/\n/g, ' '))}\n`;
  return header;
}

export function crashPayload(input: CrashPayloadInput): string {
  const lines: string[] = [crashHeader(input)];
  for (const thread of input.threads) {
    lines.push(`\nBacktrace (TID ${thread.tid}):\n`);
    for (const [index, frame] of thread.frames.slice(0, input.maxFrames).entries()) lines.push(frameLine(index, frame));
  }
  let payload = '';
  let bytes = 0;
  for (const [index, line] of lines.entries()) {
    const size = Buffer.byteLength(line);
    const reserve = index === lines.length - 1 ? 0 : TRUNCATION_MARK.length;
    if (bytes + size + reserve > MAX_PAYLOAD_BYTES) {
      // A header alone over the limit (a path of thousands of bytes) is cut too, on a character.
      if (index === 0) return cutToBytes(line, MAX_PAYLOAD_BYTES - TRUNCATION_MARK.length) + TRUNCATION_MARK;
      return payload + TRUNCATION_MARK;
    }
    payload += line;
    bytes += size;
  }
  return payload;
}

function cutToBytes(text: string, limit: number): string {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > limit) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}
