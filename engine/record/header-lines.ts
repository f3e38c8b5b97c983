/**
 * The fifteen "name: value" lines shared by the socket frame and the staged spool file.
 * Parsing follows telemprobd: each line must start with the expected name, in order
 * (reference §A.3); the value is what follows the first ':' with its leading spaces removed.
 */
import { RECORD_HEADERS, type RecordHeader, type RecordHeaders } from './fields.js';
import type { RecordProblem } from './problem.js';

export function formatHeaderLines(headers: RecordHeaders): string {
  let text = '';
  for (const name of RECORD_HEADERS) text += `${name}: ${headers[name]}\n`;
  return text;
}

/** A header value that would break the line format, or null when all are fine. */
export function checkHeaderValues(headers: RecordHeaders): RecordProblem | null {
  for (const name of RECORD_HEADERS) {
    const value = headers[name];
    if (typeof value !== 'string') return { code: 'header-missing', message: `header ${name} has no value` };
    if (/[\n\r\0]/.test(value)) return { code: 'header-line-break', message: `header ${name} contains a line break or NUL` };
  }
  return null;
}

export type ParsedHeaders = { readonly ok: true; readonly headers: RecordHeaders } | { readonly ok: false; readonly detail: string };

/** Parses exactly RECORD_HEADERS.length lines (without their newlines). */
export function parseHeaderLines(lines: readonly string[]): ParsedHeaders {
  if (lines.length !== RECORD_HEADERS.length) {
    return { ok: false, detail: `expected ${RECORD_HEADERS.length} header lines, found ${lines.length}` };
  }
  const headers = {} as Record<RecordHeader, string>;
  for (const [index, name] of RECORD_HEADERS.entries()) {
    const line = lines[index] ?? '';
    if (!line.startsWith(name)) {
      return { ok: false, detail: `header line ${index + 1} should be ${name}, found "${truncate(line)}"` };
    }
    const colon = line.indexOf(':', name.length);
    if (colon < 0) return { ok: false, detail: `header line ${index + 1} (${name}) has no ':'` };
    headers[name] = line.slice(colon + 1).replace(/^ +/, '');
  }
  return { ok: true, headers };
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
