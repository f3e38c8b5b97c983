/**
 * The payload of an oops record, laid out as upstream's parse_payload wrote it
 * (oops_parser.c:850-912, reference §E.13), one item a line, an item left out when the oops
 * does not say it:
 *
 *     Crash Report:
 *     Reason: <the line that started the oops>
 *     Kernel Version : <release and build>
 *     Tainted : <taint flags, or "Not tainted">
 *     Modules : <the "Modules linked in:" list>
 *     Backtrace :
 *     Register RIP: dev_watchdog - [kernel]
 *     Register RAX: Zero
 *     #1 dump_stack - [kernel]
 *     #2 ? fat_detach - [fat]
 *
 * The BERT dump is sent as its lines after the reason. Over 8192 bytes, frames (or dump lines)
 * are dropped from the end and one line says how many.
 */
import { fitLines, printable } from '../payload-fit.js';
import type { OopsReport } from './oops-report.js';

export interface PayloadOptions {
  /** Include the "Modules :" line (settings.kernel.modules). */
  readonly modules: boolean;
}

export function oopsPayload(report: OopsReport, options: PayloadOptions): string {
  const head = ['Crash Report:', `Reason: ${report.reason}`];
  if (report.dump !== undefined) {
    return fitLines({ head: head.map(printable), body: report.dump.map(printable), cutLine: (left) => `… ${left} more lines left out: a payload holds at most 8192 bytes` });
  }
  if (report.kernelVersion !== undefined) head.push(`Kernel Version : ${report.kernelVersion}`);
  if (report.tainted !== undefined) head.push(`Tainted : ${report.tainted}`);
  if (report.modules !== undefined && options.modules) head.push(`Modules : ${report.modules}`);
  if (report.frames.length > 0) head.push('Backtrace :');
  head.push(...report.registers.map((register) => `Register ${register}`));
  const frames = report.frames.map((frame, index) => `#${index + 1} ${frame.function} - [${frame.module}]`);
  return fitLines({ head: head.map(printable), body: frames.map(printable), cutLine: (left) => `… ${left} more frames left out: a payload holds at most 8192 bytes` });
}
