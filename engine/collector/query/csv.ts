/**
 * CSV export (RFC 4180): a header row of field names, values quoted when they need it. A value a
 * spreadsheet would run as a formula (one starting with =, +, -, @, a tab or a carriage return:
 * `=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`) starts with a ' instead, OWASP's rule against CSV
 * injection; payloads come from any machine, so none is trusted.
 */
import type { RecordJson } from '../record/record.js';
import { RECORD_FIELDS } from '../record/fields.js';

/** Every field, in the order GET /api/fields lists them. */
export const CSV_COLUMNS = RECORD_FIELDS;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvValue(value: unknown): string {
  const raw = value === null || value === undefined ? '' : String(value);
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(record: RecordJson): string {
  return `${CSV_COLUMNS.map((column) => csvValue(record[column])).join(',')}\r\n`;
}
