/**
 * When the kernel booted, so an oops can be dated from its kmsg time (microseconds since boot):
 * now minus /proc/uptime. Uptime counts suspended time and the kmsg clock does not, so after a
 * suspend the date is early by the time spent asleep — still far closer than "when telem read it"
 * for records read back after a restart.
 */
import { readFile } from 'node:fs/promises';
import { underRoot } from '../../paths/root.js';

export const UPTIME_FILE = '/proc/uptime';

/** Milliseconds since the epoch at boot, or undefined when /proc/uptime cannot be read. */
export async function readBootTime(root: string, nowMs: number): Promise<number | undefined> {
  const text = await readFile(underRoot(root, UPTIME_FILE), 'utf8').catch(() => '');
  const seconds = Number.parseFloat(text);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(nowMs - seconds * 1000) : undefined;
}
