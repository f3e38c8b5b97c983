/**
 * libtelemetry's socket frame (reference §A.2), little-endian as on every upstream platform:
 *
 *   u32 record_size (whole frame, these 4 bytes included)
 *   optional "CFG:" <absolute config path> "\0"
 *   u32 header_size · fifteen "name: value\n" lines · payload · "\0"
 *
 * Decoding is strict about structure and limits and explains every refusal with a stable
 * reason; it is lenient where telemprobd was (header name prefixes, a missing final NUL).
 */
import type { TelemetryRecord } from './fields.js';
import { checkHeaderValues, formatHeaderLines, parseHeaderLines } from './header-lines.js';
import { checkReceivedClassification, MAX_SEVERITY, MIN_SEVERITY } from './classification.js';
import { checkPayloadSize, checkPayloadText, MAX_PAYLOAD_BYTES } from './payload.js';
import { RecordError } from './problem.js';

/** Bytes of the record_size and header_size fields. */
export const SIZE_FIELD_BYTES = 4;
const CONFIG_TAG = Buffer.from('CFG:', 'latin1');

export interface FrameLimits {
  /** Largest payload accepted, in bytes (policy intake.max_payload). */
  readonly maxPayload: number;
  /** Largest header block; upstream assumed 15 × 80 bytes, full values need more room. */
  readonly maxHeaderBytes: number;
  /** Longest CFG path (PATH_MAX). */
  readonly maxConfigPathBytes: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = Object.freeze({
  maxPayload: MAX_PAYLOAD_BYTES,
  maxHeaderBytes: 8192,
  maxConfigPathBytes: 4096,
});

/** A frame smaller than its two size fields cannot hold a record. */
export const MIN_FRAME_SIZE = 2 * SIZE_FIELD_BYTES;

export function maxFrameSize(limits: FrameLimits): number {
  return SIZE_FIELD_BYTES + (CONFIG_TAG.length + limits.maxConfigPathBytes + 1) + SIZE_FIELD_BYTES + limits.maxHeaderBytes + limits.maxPayload + 1;
}

/** Why a frame was refused; these are the intake's counter names. */
export const FRAME_REJECT_REASONS = [
  'size_out_of_range',
  'truncated',
  'bad_config_path',
  'bad_header_size',
  'bad_headers',
  'bad_classification',
  'bad_severity',
  'payload_too_large',
  'payload_not_text',
] as const;
export type FrameRejectReason = (typeof FRAME_REJECT_REASONS)[number];

export interface FrameRejection {
  readonly ok: false;
  readonly reason: FrameRejectReason;
  readonly detail: string;
}

export interface DecodedFrame {
  readonly ok: true;
  readonly record: TelemetryRecord;
  /** The CFG path the probe named (tm_set_config_file / -f), or null. */
  readonly configPath: string | null;
}

function reject(reason: FrameRejectReason, detail: string): FrameRejection {
  return { ok: false, reason, detail };
}

/** Checks a record_size field as soon as its 4 bytes have arrived. */
export function checkFrameSize(size: number, limits: FrameLimits = DEFAULT_FRAME_LIMITS): FrameRejection | null {
  const max = maxFrameSize(limits);
  if (size < MIN_FRAME_SIZE || size > max) {
    return reject('size_out_of_range', `record_size ${size} is outside ${MIN_FRAME_SIZE}..${max}`);
  }
  return null;
}

export interface EncodeOptions {
  /** Adds the CFG field, as tm_set_config_file() does. */
  readonly configPath?: string | null;
}

export function encodeFrame(record: TelemetryRecord, options: EncodeOptions = {}): Buffer {
  const problem = checkHeaderValues(record.headers);
  if (problem) throw new RecordError(problem);
  const configPath = options.configPath ?? null;
  if (configPath !== null && (configPath === '' || configPath.includes('\0'))) {
    throw new RecordError({ code: 'config-path', message: 'a config path must be non-empty and contain no NUL' });
  }
  const headerBlock = Buffer.from(formatHeaderLines(record.headers), 'utf8');
  const configField = configPath === null ? null : Buffer.concat([CONFIG_TAG, Buffer.from(configPath, 'utf8'), Buffer.alloc(1)]);
  const size = SIZE_FIELD_BYTES + (configField?.length ?? 0) + SIZE_FIELD_BYTES + headerBlock.length + record.payload.length + 1;
  const frame = Buffer.alloc(size);
  let offset = frame.writeUInt32LE(size, 0);
  if (configField) offset += configField.copy(frame, offset);
  offset = frame.writeUInt32LE(headerBlock.length, offset);
  offset += headerBlock.copy(frame, offset);
  record.payload.copy(frame, offset);
  // The final byte stays 0: the NUL libtelemetry sends after the payload.
  return frame;
}

/**
 * Decodes one frame. `frame` starts at record_size; bytes past record_size are ignored (one
 * record per connection), fewer bytes than record_size is `truncated`.
 */
export function decodeFrame(frame: Buffer, limits: FrameLimits = DEFAULT_FRAME_LIMITS): DecodedFrame | FrameRejection {
  if (frame.length < SIZE_FIELD_BYTES) return reject('truncated', `only ${frame.length} bytes, record_size needs 4`);
  const size = frame.readUInt32LE(0);
  const sizeProblem = checkFrameSize(size, limits);
  if (sizeProblem) return sizeProblem;
  if (frame.length < size) return reject('truncated', `record_size is ${size} but only ${frame.length} bytes arrived`);

  let offset = SIZE_FIELD_BYTES;
  let configPath: string | null = null;
  if (frame.subarray(offset, offset + CONFIG_TAG.length).equals(CONFIG_TAG)) {
    const start = offset + CONFIG_TAG.length;
    const end = frame.indexOf(0, start);
    if (end < 0 || end >= size) return reject('bad_config_path', 'CFG field has no terminating NUL');
    if (end === start) return reject('bad_config_path', 'CFG field is empty');
    if (end - start > limits.maxConfigPathBytes) {
      return reject('bad_config_path', `CFG path is ${end - start} bytes, more than ${limits.maxConfigPathBytes}`);
    }
    configPath = frame.toString('utf8', start, end);
    offset = end + 1;
  }

  if (offset + SIZE_FIELD_BYTES > size) return reject('bad_header_size', 'frame ends before header_size');
  const headerSize = frame.readUInt32LE(offset);
  offset += SIZE_FIELD_BYTES;
  if (headerSize > size - offset) {
    return reject('bad_header_size', `header_size ${headerSize} is larger than the ${size - offset} bytes left in the frame`);
  }
  if (headerSize > limits.maxHeaderBytes) {
    return reject('bad_header_size', `header_size ${headerSize} is more than ${limits.maxHeaderBytes}`);
  }

  // Like telemprobd's strtok(): empty lines between headers are skipped.
  const lines = frame
    .toString('utf8', offset, offset + headerSize)
    .split('\n')
    .filter((line) => line !== '');
  const parsed = parseHeaderLines(lines);
  if (!parsed.ok) return reject('bad_headers', parsed.detail);
  offset += headerSize;

  let body = frame.subarray(offset, size);
  // The final NUL is optional: telemprobd also staged frames that lacked it (cases 7 and 9).
  if (body.length > 0 && body[body.length - 1] === 0) body = body.subarray(0, body.length - 1);
  const tooLarge = checkPayloadSize(body, limits.maxPayload);
  if (tooLarge) return reject('payload_too_large', tooLarge.message);
  const notText = checkPayloadText(body);
  if (notText) return reject('payload_not_text', notText.message);

  const classificationProblem = checkReceivedClassification(parsed.headers.classification);
  if (classificationProblem) return reject('bad_classification', classificationProblem.message);
  const severity = parsed.headers.severity;
  if (!/^\d+$/.test(severity) || Number(severity) < MIN_SEVERITY || Number(severity) > MAX_SEVERITY) {
    return reject('bad_severity', `severity "${severity}" is not ${MIN_SEVERITY}..${MAX_SEVERITY}`);
  }

  return { ok: true, record: { headers: parsed.headers, payload: Buffer.from(body) }, configPath };
}
