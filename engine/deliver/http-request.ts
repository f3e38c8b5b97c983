/**
 * The bytes of one delivery request, as upstream servers expect them (reference §C.1, §C.2):
 * v3 sends the record as a JSON body, v2 sends the fifteen headers as HTTP headers and the payload
 * as the body. Headers are an ordered list so the request head matches the captures line by line.
 */
import type { ResolvedDestination } from '../../schemas/resolved.js';
import { RECORD_HEADERS, type TelemetryRecord } from '../record/fields.js';
import { recordJson } from './record-json.js';

export type HttpDestinationConfig = Extract<ResolvedDestination, { type: 'http' }>;

export type HeaderList = readonly (readonly [name: string, value: string])[];

export interface HttpRequestParts {
  /** Header lines in the order they are sent. */
  readonly headers: HeaderList;
  readonly body: Buffer;
}

/** Framing headers are computed from the body and the connection; a policy cannot set them. */
export const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Node writes request heads as latin1: a string holding the UTF-8 bytes one char per byte makes
 * the wire carry the value's UTF-8 bytes unchanged (upstream passes bytes through verbatim).
 */
function wireValue(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** Policy `headers` replace a built-in header of the same name in place, or follow the built-in ones. */
function withPolicyHeaders(builtIn: HeaderList, extra: Readonly<Record<string, string>>): HeaderList {
  const headers = builtIn.map(([name, value]) => [name, value] as [string, string]);
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (FRAMING_HEADERS.has(lower)) continue;
    const index = headers.findIndex(([existing]) => existing.toLowerCase() === lower);
    if (index === -1) headers.push([name, value]);
    else headers[index] = [name, value];
  }
  return headers;
}

/** Builds the request parts of every record for one destination; the URL is parsed once. */
export function createRequestBuilder(config: HttpDestinationConfig): (record: TelemetryRecord) => HttpRequestParts {
  const host = new URL(config.url).host;
  const contentType = config.protocol === 'v3' ? 'application/json' : 'application/text';
  return (record) => {
    const body = config.protocol === 'v3' ? Buffer.from(recordJson(record), 'utf8') : record.payload;
    const recordHeaders = config.protocol === 'v2' ? RECORD_HEADERS.map((name) => [name, record.headers[name]] as const) : [];
    const builtIn: HeaderList = [
      ['Host', host],
      ['Accept', '*/*'],
      ...recordHeaders,
      [config.tid_header, config.tid],
      ['Content-Type', contentType],
      ['Content-Length', String(body.length)],
    ];
    const headers = withPolicyHeaders(builtIn, config.headers).map(([name, value]) => [name, wireValue(value)] as const);
    return { headers, body };
  };
}
