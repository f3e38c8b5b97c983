/**
 * Reading a submission off the wire. v2 (upstream ≤ 2.3.5 and the Python backend): record
 * fields in HTTP headers, the raw payload as body. v3 (current upstream client): a flat JSON
 * object of string values with the fifteen fields and "payload"; the TID stays a header.
 */
import type { RecordSubmission } from './validate-record.js';
import { canonicalName } from './field-names.js';
import { decodeHeaderValue, decodeText } from './decode-text.js';

/** Header values by canonical name from Node's rawHeaders ([name, value, name, value, …]); a repeated header: the last wins, as upstream. */
export function headerFields(rawHeaders: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    fields.set(canonicalName(rawHeaders[index] as string), decodeHeaderValue(rawHeaders[index + 1] as string));
  }
  return fields;
}

export function v2Submission(headers: ReadonlyMap<string, string>, body: Buffer): RecordSubmission {
  return { fields: headers, payload: decodeText(body) };
}

export type ParsedV3 = { readonly ok: true; readonly submission: RecordSubmission } | { readonly ok: false; readonly message: string };

export function v3Submission(body: Buffer): ParsedV3 {
  let value: unknown;
  try {
    value = JSON.parse(decodeText(body));
  } catch (error) {
    return { ok: false, message: `request body is not valid JSON (${(error as Error).message})` };
  }
  return v3SubmissionOf(value, 'request body');
}

/** A parsed v3 JSON value (the body of POST /v3/collector, or a line of a batch) as a submission. */
export function v3SubmissionOf(value: unknown, what: string): ParsedV3 {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: `${what} must be a JSON object of record fields and "payload"` };
  }
  const fields = new Map<string, string>();
  let payload = '';
  for (const [key, raw] of Object.entries(value)) {
    const name = canonicalName(key);
    if (raw === null) continue;
    // Clients send strings; numbers are accepted as their decimal text.
    const text = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : undefined;
    if (text === undefined) return { ok: false, message: `"${key}" must be a string` };
    if (name === 'payload') payload = text;
    else fields.set(name, text);
  }
  return { ok: true, submission: { fields, payload } };
}
