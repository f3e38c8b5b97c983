/** CSV export (RFC 4180): a header row of field names, values quoted when they need it. */
import type { RecordJson } from '../record/record.js';
import { RECORD_FIELDS } from '../record/fields.js';

/** Every field, in the order GET /api/fields lists them. */
export const CSV_COLUMNS = RECORD_FIELDS;

function csvValue(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(record: RecordJson): string {
  return `${CSV_COLUMNS.map((column) => csvValue(record[column])).join(',')}\r\n`;
}
