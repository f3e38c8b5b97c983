/**
 * The collector's view of a record: the fifteen upstream fields (engine/record/fields.ts) with
 * numbers as numbers, plus what the collector learns on reception (tenant, protocol, time).
 */
import type { RecordHeader } from '../../record/fields.js';

/** Fields kept as integers; every other header is text. */
export const INTEGER_FIELDS = ['record_format_version', 'severity', 'creation_timestamp', 'payload_format_version'] as const;
type IntegerField = (typeof INTEGER_FIELDS)[number];

export type RecordFields = { readonly [K in RecordHeader]: K extends IntegerField ? number : string };

/** A record that passed validation, ready to be stored. */
export interface IncomingRecord extends RecordFields {
  /** Reception time, ms since the epoch. */
  readonly received_at: number;
  /** The tenant id (X-Telemetry-TID) the record came in under. */
  readonly tenant: string;
  /** Wire protocol it arrived with: "v2" (headers), "v3" (JSON) or "telem" (the batch protocol, POST /telem/v1/records). */
  readonly protocol: 'v2' | 'v3' | 'telem';
  /**
   * The batch protocol's id for the record, assigned once by the agent and kept across retries: part
   * of the record's key (storage/rows.ts recordDigest), so a retried record is stored once.
   */
  readonly record_id?: string;
  /** X-CLR-External was exactly "true". */
  readonly external: boolean;
  readonly payload: string;
}

export interface StoredRecord extends Omit<IncomingRecord, 'record_id'> {
  readonly id: number;
  /** "function - [module]" of the payload's first backtrace frame, when it has one. */
  readonly first_frame: string | null;
  /**
   * The crash view's group: the first functions of the crashing thread not on the skip list, joined
   * by " | " (crash/signature.ts), when the payload has frames. Recomputed when the list changes.
   */
  readonly signature: string | null;
}

/** The JSON form used by the 201 answer, the query API and exports: reception time as ISO 8601. */
export interface RecordJson extends Omit<StoredRecord, 'received_at'> {
  readonly received_at: string;
}

export function recordJson(record: StoredRecord): RecordJson {
  return { ...record, received_at: new Date(record.received_at).toISOString() };
}
