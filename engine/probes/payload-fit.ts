/**
 * Payloads of probes that report logs (oopses, pstore, BERT) must fit libtelemetry's 8192
 * bytes. They are cut visibly and between lines: the lines that must stay, then as many of the
 * rest as fit, then one line saying how many were left out — never half a frame or half a
 * UTF-8 character.
 */
import { MAX_PAYLOAD_BYTES } from '../record/payload.js';

export { MAX_PAYLOAD_BYTES };

export interface FitOptions {
  /** Lines that stay whole (cut only if they alone are over the limit). */
  readonly head: readonly string[];
  /** Lines dropped from the far end (or the near end, with keep 'last') to fit. */
  readonly body: readonly string[];
  /** The line that replaces the dropped lines, given how many there were. */
  readonly cutLine: (left: number) => string;
  /** Which end of `body` to keep: the first lines (a backtrace's top) or the last (a log's end). */
  readonly keep?: 'first' | 'last';
  readonly limit?: number;
}

/** The lines joined with a newline after each, at most `limit` bytes. */
export function fitLines(options: FitOptions): string {
  const limit = options.limit ?? MAX_PAYLOAD_BYTES;
  const head = options.head.map((line) => `${line}\n`).join('');
  const body = options.body.map((line) => `${line}\n`);
  const whole = head + body.join('');
  if (Buffer.byteLength(whole) <= limit) return whole;

  const lengths = body.map((line) => Buffer.byteLength(line));
  let room = limit - Buffer.byteLength(head);
  let kept = 0;
  for (;;) {
    const left = body.length - kept;
    const cut = `${options.cutLine(left)}\n`;
    const next = lengths[options.keep === 'last' ? body.length - 1 - kept : kept];
    if (next === undefined || next + Buffer.byteLength(cut) > room) break;
    room -= next;
    kept += 1;
  }
  const cut = `${options.cutLine(body.length - kept)}\n`;
  if (Buffer.byteLength(head) + Buffer.byteLength(cut) > limit) {
    // The head alone is too long (a reason line of kilobytes): its end goes, the cut line still says so.
    return `${truncateUtf8(head, limit - Buffer.byteLength(cut) - 1)}\n${cut}`;
  }
  const keptLines = options.keep === 'last' ? body.slice(body.length - kept) : body.slice(0, kept);
  return options.keep === 'last' ? head + cut + keptLines.join('') : head + keptLines.join('') + cut;
}

/** The longest start of `text` of at most `maxBytes` UTF-8 bytes that ends on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/** Control characters a payload may not carry (all but tab, newline and the other whitespace), written as \xNN. */
export function printable(line: string): string {
  return line.replace(/[\u0000-\u0008\u000e-\u001f\u007f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
