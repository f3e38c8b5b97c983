/** What the intake hands to the next stage of the agent (routing and the spool consume it). */
import type { TelemetryRecord } from '../record/fields.js';

export interface AcceptedRecord {
  /** The record as the probe sent it, with machine_id replaced by this machine's id. */
  readonly record: TelemetryRecord;
  /** The CFG path the probe named, or null. */
  readonly configPath: string | null;
  /** When the intake finished reading it (ms since the epoch). */
  readonly receivedAt: number;
}

/**
 * The next stage. `accept` must have written the record to durable storage's page cache (or
 * decided to drop it) before it returns — the intake reads no other connection in between, so a
 * crash of the agent never loses a record it has read. The promise resolves once the record is
 * durable (or was deliberately dropped by a rule); a rejection means the record was not kept, and
 * the intake counts it as `sink_failed`. The intake keeps the connection open, and its slot, until
 * then: a probe that waits for the close learns that its record is safe.
 */
export interface RecordSink {
  accept(record: AcceptedRecord): Promise<void>;
}

/** Supplies the machine id for each accepted record (see engine/consent/machine-id.ts); synchronous, see RecordSink. */
export interface MachineIdProvider {
  current(): string;
}

/** Whether records may be taken at all (see engine/consent/opt-in.ts); synchronous, see RecordSink. */
export interface ConsentProvider {
  isOptedIn(): boolean;
}
