/**
 * The oops parser as the kernel, pstore and `once` callers use it: kernel log lines in, one event
 * per oops out, with the classification and severity of the pattern that started it.
 */
import type { ProbeEvent } from '../probe.js';
import { type KernelLine, kernelLines } from './kernel-line.js';
import { type OopsMessage, OopsCollector } from './oops-collector.js';
import { oopsPayload } from './oops-payload.js';
import { readOops } from './oops-report.js';

export interface OopsEventOptions {
  /** Include the "Modules :" line. */
  readonly modules: boolean;
  /** When the kernel booted (ms since the epoch), to date an oops by its kmsg time; undated without it. */
  readonly bootTimeMs?: number | undefined;
}

export function oopsEvent(message: OopsMessage, options: OopsEventOptions): ProbeEvent {
  const event: ProbeEvent = {
    classification: message.pattern.classification,
    severity: message.pattern.severity,
    payload: oopsPayload(readOops(message), { modules: options.modules }),
  };
  const usec = message.first.usec;
  if (options.bootTimeMs === undefined || usec === undefined) return event;
  return { ...event, createdAt: new Date(options.bootTimeMs + Math.floor(usec / 1000)) };
}

/** Every oops in a run of lines, the last one ended by the end of the lines. */
export function parseOopses(lines: Iterable<KernelLine>, options: OopsEventOptions): ProbeEvent[] {
  const collector = new OopsCollector();
  const messages: OopsMessage[] = [];
  for (const line of lines) messages.push(...collector.push(line));
  messages.push(...collector.flush());
  return messages.map((message) => oopsEvent(message, options));
}

/** Every oops in a saved kernel log: dmesg text, /dev/kmsg records, or pstore's dump. */
export function parseKernelLog(text: string, options: OopsEventOptions): ProbeEvent[] {
  return parseOopses(kernelLines(text), options);
}
