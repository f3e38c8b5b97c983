/**
 * The records one pstore dump gives: its oopses, parsed as the kernel log is
 * (kernel/oops-parser.ts). A dump written for a panic whose log holds no oops the parser knows
 * (cut short, or a panic with no trace) still gives a panic record, with the dump's header as the
 * reason and the end of its log. From the previous boot's console log only panics are taken: the
 * kernel probe reported its other oopses while that boot ran, and a panic is the one it could not.
 */
import { fitLines, printable } from '../payload-fit.js';
import type { ProbeEvent } from '../probe.js';
import { dmesgText } from '../kernel/kernel-line.js';
import { parseKernelLog } from '../kernel/oops-parser.js';
import type { PstoreDump } from './pstore-dump.js';

export const PANIC_CLASSIFICATION = 'org.clearlinux/kernel/panic';

export function dumpEvents(dump: PstoreDump, options: { readonly modules: boolean }): ProbeEvent[] {
  const dated = (event: ProbeEvent): ProbeEvent => (dump.mtimeMs > 0 ? { ...event, createdAt: new Date(dump.mtimeMs) } : event);
  const events = parseKernelLog(dump.text, { modules: options.modules }).filter((event) => dump.kind === 'dmesg' || event.classification === PANIC_CLASSIFICATION);
  if (events.length > 0 || dump.kind !== 'dmesg' || dump.header?.why !== 'Panic') return events.map(dated);
  const lines = dump.text
    .split('\n')
    .map((line) => dmesgText(line))
    .filter((line) => line.trim() !== '');
  const payload = fitLines({
    head: ['Crash Report:', `Reason: ${dump.header.line} (pstore ${dump.files.map((file) => file.name).join(', ')}: no oops in its log)`].map(printable),
    body: lines.map(printable),
    cutLine: (left) => `… ${left} earlier lines left out: a payload holds at most 8192 bytes`,
    keep: 'last',
  });
  return [dated({ classification: PANIC_CLASSIFICATION, severity: 4, payload })];
}
