/**
 * The first backtrace frame of a payload, the key the crash view groups by. Two payload
 * layouts carry frames, one per line:
 *   crashprobe:  "#0 crashing_func() - [/usr/lib64/libfoo.so.1] - foo.c:42"
 *   kernel oops: "#1 ? dev_watchdog - [kernel]"   ("? " marks a frame the kernel calls unreliable)
 * The frame is reduced to "function - [module]": source positions and the "? " marker vary
 * between otherwise identical crashes.
 */

const FRAME_LINE = /^#\d+[ \t]+(?:\?[ \t]+)?(.+)$/m;
const FUNCTION_AND_MODULE = /^(.*?) - \[(.*?)\]/;
const MAX_LENGTH = 200;

export function firstFrame(payload: string): string | null {
  const line = FRAME_LINE.exec(payload)?.[1]?.trim();
  if (!line) return null;
  const parts = FUNCTION_AND_MODULE.exec(line);
  const frame = parts ? `${parts[1]} - [${parts[2]}]` : line;
  return frame.slice(0, MAX_LENGTH);
}
