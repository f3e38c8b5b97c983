/**
 * Where `telem simulate` takes records from besides a file: a telem collector's export (fetched
 * with ofetch), or this machine's journal and retained payloads.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { FetchError, ofetch } from 'ofetch';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { TelemError } from '../errors/telem-error.js';
import { listJournal } from '../journal/list-journal.js';
import { RECORD_HEADERS, type RecordHeaders } from '../record/fields.js';
import { readExport } from './input.js';
import type { SimulatedRecord } from './simulate.js';

/** GET /api/records?format=ndjson from a collector, streamed: the whole export is never held in memory. */
export async function* recordsFromCollector(base: string, options: { since?: string | undefined; token?: string | undefined } = {}): AsyncGenerator<SimulatedRecord> {
  const url = new URL('api/records', base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('format', 'ndjson');
  if (options.since !== undefined) url.searchParams.set('since', options.since);
  let body: WebReadableStream<Uint8Array>;
  try {
    // A collector with logins (collector.auth: tokens) needs an API token.
    const headers: Record<string, string> = options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` };
    body = await ofetch(url.href, { responseType: 'stream', retry: 0, timeout: 30_000, headers });
  } catch (error) {
    const status =
      error instanceof FetchError && error.status !== undefined
        ? `HTTP ${error.status}${error.data && typeof error.data === 'object' && 'message' in error.data ? `: ${String((error.data as { message: unknown }).message)}` : ''}`
        : (error as Error).message;
    throw new TelemError('collector-unavailable', `cannot fetch records from ${url.href}: ${status}`, { cause: error });
  }
  yield* readExport(Readable.fromWeb(body), url.href);
}

/**
 * One record per journaled record id: its classification and event id, the earliest time it was
 * journaled, and its retained payload (empty when none was kept). The journal keeps no severity or
 * machine fields, so these records are replayed at severity 1 with placeholder headers.
 */
export async function recordsFromJournal(root: string, policy: ResolvedPolicy): Promise<{ records: SimulatedRecord[]; file: string; withoutPayload: number }> {
  const listing = await listJournal({ root, policy, filter: {}, includePayloads: true });
  const first = new Map<string, { at: number; classification: string; eventId: string; payload: Buffer | null }>();
  listing.entries.forEach((entry, index) => {
    const seen = first.get(entry.recordId);
    const payload = listing.payloads?.[index] ?? null;
    if (!seen) first.set(entry.recordId, { at: entry.time, classification: entry.classification, eventId: entry.eventId, payload });
    else {
      seen.at = Math.min(seen.at, entry.time);
      seen.payload ??= payload;
    }
  });
  let withoutPayload = 0;
  const records = [...first.values()].map(({ at, classification, eventId, payload }) => {
    if (payload === null) withoutPayload += 1;
    const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, ''])) as Record<(typeof RECORD_HEADERS)[number], string>;
    Object.assign(headers, { record_format_version: '4', classification, severity: '1', creation_timestamp: String(Math.floor(at / 1000)), payload_format_version: '1', event_id: eventId });
    return { record: { headers: headers as RecordHeaders, payload: payload ?? Buffer.alloc(0) }, at };
  });
  return { records, file: listing.file, withoutPayload };
}
