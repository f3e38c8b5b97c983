/**
 * The record model shared by probes, the agent and the collector: upstream record format 4,
 * fifteen headers in a fixed order plus a payload (reference/upstream-client.md §A.2).
 */

/** Header names in wire order; the order is part of the frame and spool-file formats. */
export const RECORD_HEADERS = [
  'record_format_version',
  'classification',
  'severity',
  'machine_id',
  'creation_timestamp',
  'arch',
  'host_type',
  'build',
  'kernel_version',
  'payload_format_version',
  'system_name',
  'board_name',
  'cpu_model',
  'bios_version',
  'event_id',
] as const;

export type RecordHeader = (typeof RECORD_HEADERS)[number];

/** Header values are kept as the text that travels on the wire (numbers included), never cut at spaces. */
export type RecordHeaders = Readonly<Record<RecordHeader, string>>;

export interface TelemetryRecord {
  readonly headers: RecordHeaders;
  /** Payload bytes exactly as the probe sent them (no trailing newline added). */
  readonly payload: Buffer;
}

export const RECORD_FORMAT_VERSION = '4';
/** machine_id placeholder that libtelemetry sends; the agent replaces it. */
export const MACHINE_ID_PLACEHOLDER = 'FFFFFFFF';
