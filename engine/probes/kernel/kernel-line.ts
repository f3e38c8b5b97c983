/**
 * Kernel log text as the oops parser reads it: one message line at a time, without the log level
 * and timestamp that dmesg, pstore and syslog put in front. Two spellings come in:
 *   * dmesg style, "<4>[ 1234.567890] text": an optional level of 1–3 digits, an optional
 *     timestamp ("[seconds]", dmesg -T's "[Mon Oct  2 10:11:12 2023]", a caller id "[T123]"),
 *     then the text after one space — as upstream, one space only, so a frame's own leading
 *     space survives (and none from a line without level or timestamp);
 *   * /dev/kmsg records, "4,1234,567890,-;text": the text is everything after ";", and the
 *     record's sequence number and time go along with each of its lines.
 * A file may mix them; a line starting with a space right after a kmsg record is that record's
 * dictionary and is left out.
 */
import { type KmsgRecord, isKernelRecord, parseKmsgRecord } from './kmsg-record.js';

export interface KernelLine {
  readonly text: string;
  /** The kmsg sequence number of the record the line came from. */
  readonly seq?: number;
  /** Microseconds since boot, from the kmsg record. */
  readonly usec?: number;
  /** A record a program wrote to /dev/kmsg: it holds a place in the sequence but is not the kernel's, so no oops reads it. */
  readonly fromProgram?: true;
}

const LEVEL = /^<\d{1,3}>/;
const TIMESTAMP = /^(?:\[\s*\+?\d+(?:\.\d+)?\]|\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\])/;
const CALLER = /^\[\s*[TC]\d+\]/;

/** The text of a dmesg-style line: level, timestamp and caller id taken off, then one space (none of it from a bare line). */
export function dmesgText(line: string): string {
  let rest = line.replace(LEVEL, '');
  const stamp = TIMESTAMP.exec(rest);
  if (stamp !== null) rest = rest.slice(stamp[0].length).replace(CALLER, '');
  // Upstream took a space off every line, so a bare log lost its frames' leading space, and its frames.
  if (rest.length === line.length) return line;
  return /^\s/.test(rest) ? rest.slice(1) : rest;
}

/** The lines of one kmsg record; a program's record (facility above 0) is one line marked as such, its text left out. */
export function recordLines(record: KmsgRecord): KernelLine[] {
  if (!isKernelRecord(record)) return [{ text: '', seq: record.seq, usec: record.usec, fromProgram: true }];
  return record.text.split('\n').map((text) => ({ text, seq: record.seq, usec: record.usec }));
}

/**
 * Splits text, possibly arriving in pieces, into kernel lines. A piece may end mid-line: the
 * rest waits for the next piece (or `end`).
 */
export class KernelLineSplitter {
  #partial = '';
  #afterRecord = false;

  /** The complete lines in `chunk` (with what was left over from the previous chunk). */
  push(chunk: string): KernelLine[] {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    return parts.flatMap((line) => this.#line(line));
  }

  /** The last line, when the text did not end with a newline. */
  end(): KernelLine[] {
    const rest = this.#partial;
    this.#partial = '';
    return rest === '' ? [] : this.#line(rest);
  }

  #line(raw: string): KernelLine[] {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const record = parseKmsgRecord(line);
    if (record !== undefined) {
      this.#afterRecord = true;
      return recordLines(record);
    }
    if (this.#afterRecord && line.startsWith(' ')) return [];
    this.#afterRecord = false;
    return [{ text: dmesgText(line) }];
  }
}

/** Every line of a saved kernel log (dmesg text, kmsg records, or both) that the kernel printed. */
export function kernelLines(text: string): KernelLine[] {
  const splitter = new KernelLineSplitter();
  return [...splitter.push(text), ...splitter.end()].filter((line) => line.fromProgram === undefined);
}
