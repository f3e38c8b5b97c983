/**
 * Payload rules shared by every stage, so a payload one stage accepts is never refused or cut
 * by the next (upstream: library 8192, telem-record-gen 8191, daemon 8187 — reference §G.6).
 */
import { isUtf8 } from 'node:buffer';
import type { RecordProblem } from './problem.js';

/** libtelemetry's payload limit; the policy's intake.max_payload defaults to it. */
export const MAX_PAYLOAD_BYTES = 8192;

// C0 controls other than \t \n \v \f \r, and DEL: what upstream's isprint()||isspace() refused.
const FORBIDDEN_BYTE = /[\u0000-\u0008\u000e-\u001f\u007f]/;

/**
 * A payload is text: valid UTF-8 without control characters other than whitespace. Upstream
 * allowed printable ASCII only and refused "café" without a word; UTF-8 is accepted here.
 */
export function checkPayloadText(payload: Buffer): RecordProblem | null {
  if (!isUtf8(payload)) return { code: 'payload-not-utf8', message: 'payload is not valid UTF-8 text' };
  const text = payload.toString('utf8');
  const match = FORBIDDEN_BYTE.exec(text);
  if (match) {
    const offset = Buffer.byteLength(text.slice(0, match.index));
    const byte = match[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { code: 'payload-control', message: `payload contains control character 0x${byte} at byte ${offset}; payloads must be text` };
  }
  return null;
}

export function checkPayloadSize(payload: Buffer, maxBytes = MAX_PAYLOAD_BYTES): RecordProblem | null {
  if (payload.length > maxBytes) {
    return { code: 'payload-too-large', message: `payload is ${payload.length} bytes; the limit is ${maxBytes} bytes` };
  }
  return null;
}
