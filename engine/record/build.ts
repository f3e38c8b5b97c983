/** Assembling a new record the way libtelemetry's tm_create_record() does (reference §A.2). */
import { MACHINE_ID_PLACEHOLDER, RECORD_FORMAT_VERSION, type RecordHeaders, type TelemetryRecord } from './fields.js';
import { randomId } from './classification.js';
import type { HostHeaders } from './host.js';

export interface NewRecord {
  readonly classification: string;
  readonly severity: number;
  /** payload_format_version: the probe's own version of its payload layout. */
  readonly payloadVersion: number;
  readonly host: HostHeaders;
  readonly payload?: Buffer;
  /** Defaults to a fresh random id. */
  readonly eventId?: string;
  /** Defaults to now. */
  readonly createdAt?: Date;
}

/** Builds the record without validating it: callers check classification, severity and payload first. */
export function buildRecord(options: NewRecord): TelemetryRecord {
  const headers: RecordHeaders = {
    record_format_version: RECORD_FORMAT_VERSION,
    classification: options.classification,
    severity: String(options.severity),
    machine_id: MACHINE_ID_PLACEHOLDER,
    creation_timestamp: String(Math.floor((options.createdAt ?? new Date()).getTime() / 1000)),
    arch: options.host.arch,
    host_type: options.host.host_type,
    build: options.host.build,
    kernel_version: options.host.kernel_version,
    payload_format_version: String(options.payloadVersion),
    system_name: options.host.system_name,
    board_name: options.host.board_name,
    cpu_model: options.host.cpu_model,
    bios_version: options.host.bios_version,
    event_id: options.eventId ?? randomId(),
  };
  return { headers, payload: options.payload ?? Buffer.alloc(0) };
}

/** The record with one header replaced (records are immutable). */
export function withHeader(record: TelemetryRecord, name: keyof RecordHeaders, value: string): TelemetryRecord {
  return { headers: { ...record.headers, [name]: value }, payload: record.payload };
}
