/** Records ↔ table rows: the column list, derived columns, and reading rows back. */
import { createHash } from 'node:crypto';
import { RECORD_HEADERS } from '../../record/fields.js';
import { firstFrame } from '../crash/first-frame.js';
import type { IncomingRecord, StoredRecord } from '../record.js';

/** Columns written on insert, in order (id is assigned by the database). */
export const INSERT_COLUMNS = [
  'received_at',
  'tenant',
  'protocol',
  'external',
  ...RECORD_HEADERS,
  'payload',
  'payload_sha256',
  'first_frame',
] as const;

export const DEDUP_COLUMNS = ['machine_id', 'event_id', 'creation_timestamp', 'payload_sha256'] as const;

export type Row = Record<string, unknown>;

export function payloadDigest(payload: string): string {
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

/** Values for INSERT_COLUMNS; booleans are left to the caller's driver conversion. */
export function insertValues(record: IncomingRecord, bool: (value: boolean) => unknown): unknown[] {
  const derived: Record<string, unknown> = {
    external: bool(record.external),
    payload_sha256: payloadDigest(record.payload),
    first_frame: firstFrame(record.payload),
  };
  return INSERT_COLUMNS.map((column) => (column in derived ? derived[column] : record[column as keyof IncomingRecord]));
}

/** The dedup index's columns of a row (or of a record's insert values) as one comparable string. */
export function dedupKey(row: Row): string {
  return JSON.stringify(DEDUP_COLUMNS.map((column) => (column === 'creation_timestamp' ? Number(row[column]) : row[column])));
}

/** A row as read back (PostgreSQL bigint already parsed to number, SQLite booleans as 0/1). */
export function rowToRecord(row: Row): StoredRecord {
  const fields = Object.fromEntries(RECORD_HEADERS.map((name) => [name, row[name]]));
  return {
    id: Number(row.id),
    received_at: Number(row.received_at),
    tenant: row.tenant as string,
    protocol: row.protocol as 'v2' | 'v3',
    external: Boolean(row.external),
    ...(fields as unknown as Pick<StoredRecord, (typeof RECORD_HEADERS)[number]>),
    first_frame: (row.first_frame as string | null) ?? null,
    payload: row.payload as string,
  };
}
