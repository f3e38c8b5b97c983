/**
 * One record of /dev/kmsg (Documentation/ABI/testing/dev-kmsg): a header
 * "priority,sequence,microseconds,flags[,…];" then the message, with every newline, backslash
 * and unprintable byte escaped as \xNN, then a newline. Lines after it that start with a space are
 * the record's dictionary (" SUBSYSTEM=pci"), not part of the message.
 */

export interface KmsgRecord {
  /** Syslog facility × 8 + level: 0–7 are the kernel's own messages, 8 and up were written by programs. */
  readonly priority: number;
  readonly seq: number;
  /** Microseconds since boot (the kernel's monotonic clock). */
  readonly usec: number;
  /** "-", or "c" for a fragment that more fragments ("+") continue, as kernels before 5.10 exported them. */
  readonly flags: string;
  /** The message, unescaped; it may hold several lines. */
  readonly text: string;
}

const HEADER = /^(\d+),(\d+),(\d+),([^,;]*)[^;]*;/;

/** The record whose header starts `line`, or undefined when the line is not a kmsg record. */
export function parseKmsgRecord(line: string): KmsgRecord | undefined {
  const match = HEADER.exec(line);
  if (match === null) return undefined;
  return {
    priority: Number(match[1]),
    seq: Number(match[2]),
    usec: Number(match[3]),
    flags: match[4] ?? '-',
    text: unescapeKmsg(line.slice(match[0].length)),
  };
}

/** The message as the kernel printed it: each \xNN back to its byte (a multi-line message gets its newlines back). */
export function unescapeKmsg(text: string): string {
  if (!text.includes('\\x')) return text;
  // Byte by byte: the escaped bytes and any raw UTF-8 around them together make the UTF-8 text the kernel had.
  const raw = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let index = 0; index < raw.length; index += 1) {
    const hex = raw[index] === 0x5c && raw[index + 1] === 0x78 ? raw.subarray(index + 2, index + 4).toString('latin1') : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      index += 3;
    } else out.push(raw[index] as number);
  }
  return Buffer.from(out).toString('utf8');
}

/** Whether the record came from the kernel itself rather than from a program writing to /dev/kmsg. */
export function isKernelRecord(record: KmsgRecord): boolean {
  return record.priority >> 3 === 0;
}
