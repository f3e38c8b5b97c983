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
 * The next stage. `accept` resolves once the record is durable (or deliberately dropped by a
 * rule); a rejection means the record was not kept, and the intake counts it as `sink_failed`.
 * The intake keeps the connection's slot until then, which is its backpressure.
 */
export interface RecordSink {
  accept(record: AcceptedRecord): Promise<void>;
}

/** Supplies the machine id for each accepted record (see engine/consent/machine-id.ts). */
export interface MachineIdProvider {
  current(): Promise<string>;
}

/** Whether records may be taken at all (see engine/consent/opt-in.ts). */
export interface ConsentProvider {
  isOptedIn(): Promise<boolean>;
}
