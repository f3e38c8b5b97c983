/**
 * The frames of a crash's crashing thread, normalised, and the text form the collector stores them
 * in (records.frames, migration 8), so that signatures can be computed again when the skip rules
 * change without reading payloads. Two payload layouts carry frames, one per line:
 *   crashprobe:  "Backtrace (TID 42):\n#0 crashing_func() - [/usr/lib64/libfoo.so.1] - foo.c:42"
 *                (one block per thread, the crashing thread first)
 *   kernel oops: "Backtrace :\n#1 ? dev_watchdog - [kernel]"   ("? " marks a frame the kernel calls unreliable)
 * The crashing thread is the first run of consecutive frame lines: any other line (the blank line
 * and header before the next thread) ends it.
 */

export interface Frame {
  /** The function name without "()", an offset ("+0x1a/0x30") or surrounding space; "??" when unknown. */
  readonly function: string;
  /** The module as the payload names it (a path for crashprobe, "kernel" or a module for an oops), or null. */
  readonly module: string | null;
  /** The kernel marked the frame "? ": it may be a stale address left on the stack. */
  readonly unreliable: boolean;
}

/** Frames kept per record: enough for any signature and for skip lists that leave out a dozen frames. */
export const MAX_FRAMES = 16;
/** Longest function or module name kept, as first_frame (crash/first-frame.ts) keeps frames. */
export const MAX_NAME_LENGTH = 200;

const FRAME_LINE = /^#\d+[ \t]+(.*)$/;
const UNRELIABLE_MARK = /^\?[ \t]+/;
const FUNCTION_AND_MODULE = /^(.*?) - \[(.*?)\]/;
/** The "+offset/size" a kernel frame may still carry. */
const OFFSET = /\+0x[0-9a-f]+(?:\/0x[0-9a-f]+)?$/i;
const UNKNOWN = '??';

/**
 * Cut to length first, then stripped until nothing changes, so that a stored name read back
 * (parseFramesText) normalises to itself and a signature computed again comes out the same.
 */
function normaliseFunction(text: string): string {
  let name = text.slice(0, MAX_NAME_LENGTH);
  for (let previous = ''; previous !== name;) {
    previous = name;
    name = name.trim().replace(OFFSET, '').replace(/\(\)$/, '');
  }
  // crashprobe writes "???" (upstream also "??()") for a frame without a symbol, "(no symbols)" for one without a module either.
  return name === '' || /^\?+$/.test(name) || name === '(no symbols)' ? UNKNOWN : name;
}

/** One frame line's text after "#N ", or null when it has nothing. */
function parseFrameText(text: string): Frame | null {
  let rest = text.trim();
  let unreliable = false;
  while (UNRELIABLE_MARK.test(rest)) {
    unreliable = true;
    rest = rest.replace(UNRELIABLE_MARK, '');
  }
  if (rest === '') return null;
  const parts = FUNCTION_AND_MODULE.exec(rest);
  const module = parts ? (parts[2] as string).slice(0, MAX_NAME_LENGTH).trim() : '';
  return { function: normaliseFunction(parts ? (parts[1] as string) : rest), module: module === '' ? null : module, unreliable };
}

/** The crashing thread's frames (at most MAX_FRAMES), top of the stack first; [] for a payload without frames. */
export function crashingThreadFrames(payload: string): Frame[] {
  const frames: Frame[] = [];
  let started = false;
  for (const line of payload.split('\n')) {
    const match = FRAME_LINE.exec(line);
    if (!match) {
      if (started) break;
      continue;
    }
    started = true;
    const frame = parseFrameText(match[1] as string);
    if (frame) frames.push(frame);
    if (frames.length === MAX_FRAMES) break;
  }
  return frames;
}

/** One frame as stored: "[? ]function[ - [module]]", the layout of the payloads' own lines. */
export function frameLine(frame: Frame): string {
  return `${frame.unreliable ? '? ' : ''}${frame.function}${frame.module === null ? '' : ` - [${frame.module}]`}`;
}

/** The stored form of a record's frames (records.frames): one frameLine per line, null for none. */
export function framesText(frames: readonly Frame[]): string | null {
  return frames.length === 0 ? null : frames.map(frameLine).join('\n');
}

/** framesText read back. Function names never hold " - [" and modules never "]", so each line splits one way. */
export function parseFramesText(text: string | null): Frame[] {
  if (text === null || text === '') return [];
  return text.split('\n').flatMap((line) => {
    const frame = parseFrameText(line);
    return frame ? [frame] : [];
  });
}
