/**
 * The v3 JSON form of a record, shared by the http v3 body and the file destination: the fifteen
 * headers in wire order, then "payload", every value a string.
 */
import { RECORD_HEADERS, type TelemetryRecord } from '../record/fields.js';

/**
 * JSON.stringify already escapes exactly as upstream's json-c does (reference §C.1): short escapes
 * for `"` `\` \b \f \n \r \t, \u00xx for other control characters, `/` left alone. Unlike upstream,
 * values are never cut at a space and no "\n" is appended to the payload.
 */
export function recordJson(record: TelemetryRecord): string {
  const body: Record<string, string> = {};
  for (const name of RECORD_HEADERS) body[name] = record.headers[name];
  // Bytes that are not UTF-8 become U+FFFD: a JSON document can only carry text.
  body.payload = record.payload.toString('utf8');
  return JSON.stringify(body);
}
