/**
 * The bytes of one delivery request, as upstream servers expect them (reference §C.1, §C.2):
 * v3 sends the record as a JSON body, v2 sends the fifteen headers as HTTP headers and the payload
 * as the body. Headers are an ordered list so the request head matches the captures line by line.
 * telem sends a batch: NDJSON, each line the v3 object with the record's `record_id` first.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ResolvedDestination } from '../../schemas/resolved.js';
import { RECORD_HEADERS, type TelemetryRecord } from '../record/fields.js';
import type { BatchItem } from './destination.js';
import { recordJson } from './record-json.js';

const gzipAsync = promisify(gzip);

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

function requestParts(config: HttpDestinationConfig, recordHeaders: HeaderList, contentHeaders: HeaderList, body: Buffer): HttpRequestParts {
  const builtIn: HeaderList = [
    ['Host', new URL(config.url).host],
    ['Accept', '*/*'],
    ...recordHeaders,
    [config.tid_header, config.tid],
    ...contentHeaders,
    ['Content-Length', String(body.length)],
  ];
  const headers = withPolicyHeaders(builtIn, config.headers).map(([name, value]) => [name, wireValue(value)] as const);
  return { headers, body };
}

/** Builds the request parts of every record for one destination (v2 or v3). */
export function createRequestBuilder(config: HttpDestinationConfig): (record: TelemetryRecord) => HttpRequestParts {
  const contentType: HeaderList = [['Content-Type', config.protocol === 'v2' ? 'application/text' : 'application/json']];
  return (record) => {
    const body = config.protocol === 'v2' ? record.payload : Buffer.from(recordJson(record), 'utf8');
    const recordHeaders = config.protocol === 'v2' ? RECORD_HEADERS.map((name) => [name, record.headers[name]] as const) : [];
    return requestParts(config, recordHeaders, contentType, body);
  };
}

/** One NDJSON line of a telem batch: `record_id`, then the v3 object's fields. */
export function batchLine(item: BatchItem): string {
  return `{"record_id":${JSON.stringify(item.id)},${recordJson(item.record).slice(1)}\n`;
}

/** The request of one telem batch (its NDJSON lines), gzipped when the destination's batch.compression says so. */
export async function batchRequest(config: HttpDestinationConfig, lines: readonly string[]): Promise<HttpRequestParts> {
  const ndjson = Buffer.from(lines.join(''), 'utf8');
  const compressed = config.batch.compression === 'gzip';
  const body = compressed ? await gzipAsync(ndjson) : ndjson;
  const contentHeaders: HeaderList = [['Content-Type', 'application/x-ndjson'], ...(compressed ? ([['Content-Encoding', 'gzip']] as const) : [])];
  return requestParts(config, [], contentHeaders, body);
}

/** Consecutive runs of lines of at most `maxBytes` together (a longer line goes alone). */
export function splitBySize(lines: readonly string[], maxBytes: number): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  let bytes = 0;
  for (const [index, line] of lines.entries()) {
    const size = Buffer.byteLength(line);
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(index);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
