/** Crash payloads as the probes lay them out: crashprobe's threads, the kernel-oops probe's report. */

export const LIBC = '[/usr/lib64/libc.so.6]';

/** A crashprobe payload: the crashing thread's frame lines ("fn() - [module]"), then another thread. */
export function crashprobePayload(frames: readonly string[]): string {
  const lines = frames.map((frame, index) => `#${index} ${frame}`);
  return `Process: /usr/bin/app\nPID: 42\nSignal: 6\n\nBacktrace (TID 42):\n${lines.join('\n')}\n\nBacktrace (TID 43):\n#0 poll() - ${LIBC}\n`;
}

/** A kernel-oops payload: the reason line and the call trace ("fn" or "? fn"), numbered from 1, all in the kernel. */
export function oopsPayload(reason: string, frames: readonly string[]): string {
  const lines = frames.map((frame, index) => `#${index + 1} ${frame} - [kernel]`);
  return `Crash Report:\nReason: ${reason}\nKernel Version : 6.5.7-1355.native #1\nTainted : Not tainted\nModules : e1000e\nBacktrace :\n${lines.join('\n')}\n`;
}

export const KERNEL_WARNING = oopsPayload('WARNING: CPU: 3 PID: 0 at net/sched/sch_generic.c:303 dev_watchdog+0x237/0x250', [
  'dump_stack',
  'warn_slowpath_common',
  'warn_slowpath_fmt',
  'dev_watchdog',
  '? qdisc_rcu_free',
  'call_timer_fn',
  'run_timer_softirq',
]);

export const KERNEL_BUG = oopsPayload('kernel BUG at mm/mmap.c:2156!', ['? __die', 'do_error_trap', 'exc_invalid_op', 'asm_exc_invalid_op', 'mmput', 'exit_mm', 'do_exit']);
