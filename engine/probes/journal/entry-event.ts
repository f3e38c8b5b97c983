/**
 * The event of one journal entry, as upstream's journalprobe sent it: the MESSAGE and a newline,
 * with the probe's classification and severity, at the entry's time.
 */
import { MAX_PAYLOAD_BYTES } from '../../record/payload.js';
import type { ProbeEvent } from '../probe.js';
import type { JournalSettings, SendableEntry } from './entry-filter.js';

/** Ends a message cut to fit the payload limit, so a reader sees that something is missing. */
export const CUT_MARK = '...\n';

// What a payload may not hold (engine/record/payload.ts): C0 controls other than whitespace, and DEL.
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/g;

/**
 * The message as payload text: control characters (colour escapes, NUL) become U+FFFD like
 * undecodable bytes, since a record's payload is text; a message over the limit keeps as many whole
 * characters as fit before the cut mark.
 */
export function messagePayload(message: string): string {
  const text = message.replace(CONTROL, '\uFFFD');
  const whole = `${text}\n`;
  if (Buffer.byteLength(whole) <= MAX_PAYLOAD_BYTES) return whole;
  const bytes = Buffer.from(text);
  let end = MAX_PAYLOAD_BYTES - Buffer.byteLength(CUT_MARK);
  // bytes[end] is the first byte left out: while it continues a character, that character goes too.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + CUT_MARK;
}

/** The event of an entry that has a MESSAGE. */
export function entryEvent(settings: JournalSettings, entry: SendableEntry): ProbeEvent {
  const event = { classification: settings.classification, severity: settings.severity, payload: messagePayload(entry.message) };
  return entry.time === undefined ? event : { ...event, createdAt: entry.time };
}
