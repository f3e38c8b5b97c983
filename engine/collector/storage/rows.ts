/** Records ↔ table rows: the column list, derived columns, and reading rows back. */
import { createHash } from 'node:crypto';
import { RECORD_HEADERS } from '../../record/fields.js';
import { firstFrame } from '../crash/first-frame.js';
import { crashingThreadFrames, framesText } from '../crash/frames.js';
import { frameSignature } from '../crash/signature.js';
import type { SkipList } from '../crash/skip-rules.js';
import { INTEGER_FIELDS, type IncomingRecord, type StoredRecord } from '../record/record.js';

/** Columns written on insert, in order (id is assigned by the database). */
export const INSERT_COLUMNS = ['received_at', 'tenant', 'protocol', 'external', ...RECORD_HEADERS, 'payload', 'record_sha256', 'first_frame', 'frames', 'signature'] as const;

/**
 * What makes a record itself: its tenant, its fifteen headers and its payload. Two records
 * equal in all of them are one record sent again (a retransmission) and are stored once;
 * records differing in any of them are distinct, even when they share an event id (the
 * records of one event do, by design). Reception facts (time, protocol, X-CLR-External) are
 * not part of it: the stored row keeps those of the first copy.
 */
export const RECORD_KEY_FIELDS = ['tenant', ...RECORD_HEADERS, 'payload'] as const;

/** The unique column holding recordDigest, the exactly-once key (migration 2). */
export const KEY_COLUMN = 'record_sha256';

export type Row = Record<string, unknown>;

const INTEGER_KEY_FIELDS: ReadonlySet<string> = new Set(INTEGER_FIELDS);

/**
 * sha256 (hex) of JSON.stringify of RECORD_KEY_FIELDS' values in that order, integers as
 * numbers and everything else as strings, from a record or a stored row alike. It is stored
 * (record_sha256), so changing this encoding or the key fields needs a migration that
 * recomputes the column. The batch protocol's record_id is in the key but not a column: its
 * records are told apart by it, and a retried one is found by its digest.
 */
export function recordDigest(row: Row | IncomingRecord): string {
  const values: unknown[] = RECORD_KEY_FIELDS.map((field) => {
    const value = (row as Row)[field];
    return INTEGER_KEY_FIELDS.has(field) ? Number(value) : String(value);
  });
  // A batch-protocol record's id joins the key (records without one keep the digest they always had).
  const recordId = (row as Row).record_id;
  if (typeof recordId === 'string') values.push(recordId);
  return createHash('sha256').update(JSON.stringify(values), 'utf8').digest('hex');
}

/**
 * Values for INSERT_COLUMNS; booleans are left to the caller's driver conversion. The signature is
 * that of the skip list given: the one in force in the inserting transaction (crash-rules-sql.ts).
 */
export function insertValues(record: IncomingRecord, bool: (value: boolean) => unknown, skip: SkipList): unknown[] {
  const frames = crashingThreadFrames(record.payload);
  const derived: Record<string, unknown> = {
    external: bool(record.external),
    record_sha256: recordDigest(record),
    first_frame: firstFrame(record.payload),
    frames: framesText(frames),
    signature: frameSignature(frames, skip),
  };
  return INSERT_COLUMNS.map((column) => (column in derived ? derived[column] : record[column as keyof IncomingRecord]));
}

/** A row as read back (PostgreSQL bigint already parsed to number, SQLite booleans as 0/1). */
export function rowToRecord(row: Row): StoredRecord {
  const fields = Object.fromEntries(RECORD_HEADERS.map((name) => [name, row[name]]));
  return {
    id: Number(row.id),
    received_at: Number(row.received_at),
    tenant: row.tenant as string,
    protocol: row.protocol as StoredRecord['protocol'],
    external: Boolean(row.external),
    ...(fields as unknown as Pick<StoredRecord, (typeof RECORD_HEADERS)[number]>),
    first_frame: (row.first_frame as string | null) ?? null,
    signature: (row.signature as string | null) ?? null,
    payload: row.payload as string,
  };
}
