/** CSV export (RFC 4180): a header row of field names, values quoted when they need it. */
import { RECORD_HEADERS } from '../../record/fields.js';
import type { RecordJson } from '../record/record.js';

export const CSV_COLUMNS = ['id', 'received_at', 'tenant', 'protocol', 'external', ...RECORD_HEADERS, 'first_frame', 'payload'] as const;

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
