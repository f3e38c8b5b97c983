/**
 * Checks for the values a probe chooses: classification, severity and event id. Messages are
 * telem-record-gen's (reference §E.11) so scripts that match them keep working; the per-part
 * limit is really 40 characters here (upstream let the first part have 41).
 */
import { randomBytes } from 'node:crypto';
import type { RecordProblem } from './problem.js';

export const MAX_CLASSIFICATION_LENGTH = 122;
export const MAX_CLASSIFICATION_PART_LENGTH = 40;
export const EVENT_ID_LENGTH = 32;
export const EVENT_ID_ALPHABET = '0123456789abcdef';
export const MIN_SEVERITY = 1;
export const MAX_SEVERITY = 4;

// Control characters would end the header line early and forge the next header.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** The full check a probe's classification passes before a record is created, in upstream's order. */
export function checkClassification(classification: string): RecordProblem | null {
  const length = Buffer.byteLength(classification);
  if (length === 0 || length > MAX_CLASSIFICATION_LENGTH) {
    return { code: 'classification-length', message: `Valid size for classification is 1-${MAX_CLASSIFICATION_LENGTH} chars` };
  }
  if (!/^[\u0000-\u007f]*$/.test(classification)) {
    return { code: 'classification-not-ascii', message: 'Non-ascii characters detected in classification - aborting' };
  }
  if (CONTROL_CHARACTER.test(classification)) {
    return { code: 'classification-control', message: 'Control characters detected in classification - aborting' };
  }
  const parts = classification.split('/');
  if (parts.some((part) => part.length > MAX_CLASSIFICATION_PART_LENGTH)) {
    return {
      code: 'classification-part-length',
      message: `Classification strings between slashes should have at most ${MAX_CLASSIFICATION_PART_LENGTH} chars`,
    };
  }
  if (parts.length !== 3) {
    return {
      code: 'classification-format',
      message: "Classification needs to be in most/to/least specific format, 2 '/' required.",
    };
  }
  return null;
}

/**
 * The check applied to classifications arriving on the socket: only what routing and delivery
 * depend on (three parts, no control characters), so anything libtelemetry itself lets through
 * is still accepted.
 */
export function checkReceivedClassification(classification: string): RecordProblem | null {
  if (CONTROL_CHARACTER.test(classification)) {
    return { code: 'classification-control', message: 'classification contains control characters' };
  }
  if (classification.split('/').length !== 3) {
    return { code: 'classification-format', message: `classification "${classification}" is not in most/to/least specific format` };
  }
  return null;
}

export function checkSeverity(severity: number): RecordProblem | null {
  if (!Number.isInteger(severity) || severity < MIN_SEVERITY || severity > MAX_SEVERITY) {
    return { code: 'severity-range', message: `Valid range for severity is ${MIN_SEVERITY}-${MAX_SEVERITY}` };
  }
  return null;
}

export function checkEventId(eventId: string): RecordProblem | null {
  if (eventId.length !== EVENT_ID_LENGTH) {
    return { code: 'event-id-length', message: `event_id length ${eventId.length} it should have ${EVENT_ID_LENGTH} characters` };
  }
  for (let position = 0; position < eventId.length; position++) {
    const character = eventId[position] ?? '';
    if (!EVENT_ID_ALPHABET.includes(character)) {
      return {
        code: 'event-id-character',
        message: `event_id contains invalid character '${character}' at position ${position}, valid characters are ${EVENT_ID_ALPHABET}`,
      };
    }
  }
  return null;
}

// Random bytes are drawn in blocks: one system call per 256 ids instead of one per record.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

/** 32 lowercase hex characters from the system's random source, like upstream get_random_id(). */
export function randomId(): string {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += 16;
  return pool.toString('hex', offset - 16, offset);
}
