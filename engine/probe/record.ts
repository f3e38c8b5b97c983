/**
 * Building a record in a JavaScript probe, like libtelemetry's tm_create_record(),
 * tm_set_payload(), tm_set_event_id() and tm_set_config_file(). A ProbeRecord is a plain mutable
 * object; each setter checks its value and throws a RecordError (with a stable `code`) instead
 * of clamping or truncating.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { buildRecord } from '../record/build.js';
import { checkClassification, checkEventId, checkSeverity } from '../record/classification.js';
import type { RecordHeader } from '../record/fields.js';
import { readHostHeaders, type HostHeaders } from '../record/host.js';
import { checkPayloadSize, checkPayloadText, MAX_PAYLOAD_BYTES } from '../record/payload.js';
import { RecordError, type RecordProblem } from '../record/problem.js';
import { resolveRoot } from '../paths/root.js';

export interface ProbeRecord {
  headers: Record<RecordHeader, string>;
  payload: Buffer;
  /** Sent as the frame's CFG field (see setConfigFile). */
  configPath: string | null;
}

export interface CreateRecordOptions {
  /** "most/to/least" specific, three parts of at most 40 ASCII characters. */
  readonly classification: string;
  /** 1 (low) … 4 (critical); default 1. */
  readonly severity?: number;
  /** payload_format_version; default 1. */
  readonly payloadVersion?: number;
  /** Root for /etc/os-release, DMI and cpuinfo; default $TELEM_ROOT or /. */
  readonly root?: string;
  /** Host headers already read (readHostHeaders), to avoid reading them for every record. */
  readonly host?: HostHeaders;
}

const MAX_U32 = 0xffff_ffff;

function fail(problem: RecordProblem | null): void {
  if (problem) throw new RecordError(problem);
}

export async function createRecord(options: CreateRecordOptions): Promise<ProbeRecord> {
  const severity = options.severity ?? 1;
  const payloadVersion = options.payloadVersion ?? 1;
  fail(checkClassification(options.classification));
  fail(checkSeverity(severity));
  if (!Number.isInteger(payloadVersion) || payloadVersion < 0 || payloadVersion > MAX_U32) {
    fail({ code: 'payload-version', message: `payload version must be an integer 0..${MAX_U32}` });
  }
  const host = options.host ?? (await readHostHeaders({ root: options.root ?? resolveRoot() }));
  const record = buildRecord({ classification: options.classification, severity, payloadVersion, host });
  return { headers: { ...record.headers }, payload: record.payload, configPath: null };
}

/** Sets the payload: text (UTF-8, no control characters but whitespace) of at most 8192 bytes. */
export function setPayload(record: ProbeRecord, payload: string | Buffer): ProbeRecord {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  fail(checkPayloadSize(bytes, MAX_PAYLOAD_BYTES));
  fail(checkPayloadText(bytes));
  record.payload = bytes;
  return record;
}

/** Replaces the random event id, to tie several records to one event: 32 lowercase hex characters. */
export function setEventId(record: ProbeRecord, eventId: string): ProbeRecord {
  fail(checkEventId(eventId));
  record.headers.event_id = eventId;
  return record;
}

/** Why a CFG path would be refused (not absolute, not an existing regular file), or null. */
export async function checkConfigFile(file: string): Promise<RecordProblem | null> {
  const invalid: RecordProblem = { code: 'config-path', message: 'Configuration file path not valid' };
  if (!path.isAbsolute(file)) return invalid;
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? null : invalid;
}

/** Names a config file in the frame's CFG field, as tm_set_config_file(). */
export async function setConfigFile(record: ProbeRecord, file: string): Promise<ProbeRecord> {
  fail(await checkConfigFile(file));
  record.configPath = file;
  return record;
}
