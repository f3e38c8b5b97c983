/**
 * The query API:
 *   GET /api/records        filters named like record fields, since/until, cursor pagination;
 *                           format=json (default, one page) | ndjson | csv (every match, streamed)
 *   GET /api/records/<id>   one record
 *   GET /api/stats          counts by classification, severity, build, machines, over time
 *   GET /api/crashes        crash records (crash and kernel-oops classifications by default) grouped by signature,
 *                           hidden groups left out unless hidden=include|only (one group's page: http/crash-groups.ts)
 *   GET /api/fleet          the latest agent status of each machine, by channel and sequence, and the staged rollouts (channel, state, limit)
 *   GET /api/fields         the fields of a record, the columns of a list and the filters above (fields.ts),
 *                           from which the web UI builds its table and filter form
 */
import type { ServerResponse } from 'node:http';
import { recordJson } from '../record/record.js';
import { HttpError, sendJson } from '../reply/reply.js';
import { QueryError } from '../storage/query-error.js';
import { HIDDEN_CHOICES, type RecordStore } from '../storage/store.js';
import { FLEET_STATES, type FleetState } from '../fleet/states.js';
import type { CrashesAnswer, FleetAnswer, RecordsPage } from './answers.js';
import { csvHeader, csvRow } from './csv.js';
import { FIELDS_ANSWER } from '../record/fields.js';
import { FILTER_PARAMETERS, MAX_VALUES, checkKnown, encodeCursor, parseBucket, parseChoice, parseCursor, parseFilter, parseLimit } from './params.js';

export const PAGE_LIMIT = 1000;
const DEFAULT_PAGE = 100;
/**
 * What GET /api/crashes reads unless the query names classifications: crashprobe's records
 * (org.clearlinux/crash/*) and the kernel oopses, as upstream's probes classify them (klogscanner
 * and pstoreprobe: org.clearlinux/kernel/{warning,bug,panic,stackoverflow} and crash/kernel/*).
 */
export const CRASH_CLASSIFICATIONS = [
  '*/crash/*',
  'crash/kernel/*',
  'org.clearlinux/kernel/warning',
  'org.clearlinux/kernel/bug',
  'org.clearlinux/kernel/panic',
  'org.clearlinux/kernel/stackoverflow',
] as const;

export interface QueryContext {
  readonly store: RecordStore;
  readonly now: () => number;
}

/** A read the store stopped or refused (storage/query-error.ts) is a 503 saying why. */
export async function read<T>(result: Promise<T>): Promise<T> {
  try {
    return await result;
  } catch (error) {
    if (error instanceof QueryError) throw new HttpError(503, error.message, error.code === 'query_busy' ? { 'Retry-After': '1' } : {});
    throw error;
  }
}

export async function recordsEndpoint(context: QueryContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(params, [...FILTER_PARAMETERS, 'limit', 'cursor', 'format']);
  const filter = parseFilter(params, context.now());
  const format = parseChoice(params, 'format', ['json', 'ndjson', 'csv'] as const);
  let beforeId = parseCursor(params);

  if (format === 'json') {
    const limit = parseLimit(params, DEFAULT_PAGE, PAGE_LIMIT) as number;
    const records = await read(context.store.list({ filter, limit, ...(beforeId === undefined ? {} : { beforeId }) }));
    const last = records.at(-1);
    sendJson(res, 200, { records: records.map(recordJson), next_cursor: records.length === limit && last ? encodeCursor(last.id) : null } satisfies RecordsPage);
    return;
  }

  // Exports walk every matching record page by page, so memory stays flat for any size.
  let remaining = parseLimit(params, undefined, Number.MAX_SAFE_INTEGER) ?? Infinity;
  const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
  const pageOf = (limit: number) => read(context.store.list({ filter, limit, ...(beforeId === undefined ? {} : { beforeId }) }));
  // The first page is read before the answer starts, so a database that cannot be read is still a 503.
  let limit = Math.min(PAGE_LIMIT, remaining);
  let page = await pageOf(limit);
  res.writeHead(200, { 'Content-Type': type, 'Content-Disposition': `attachment; filename="records.${format}"` });
  if (format === 'csv') res.write(csvHeader());
  for (;;) {
    // A client that went away stops the export (and its reads).
    if (res.destroyed) return;
    for (const record of page) {
      const json = recordJson(record);
      if (!res.write(format === 'csv' ? csvRow(json) : `${JSON.stringify(json)}\n`)) await writable(res);
    }
    remaining -= page.length;
    if (page.length < limit || remaining <= 0) break;
    beforeId = page.at(-1)?.id;
    limit = Math.min(PAGE_LIMIT, remaining);
    page = await pageOf(limit);
  }
  res.end();
}

/** Resolves when `res` can take more, or is gone. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve();
      return;
    }
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function recordEndpoint(context: QueryContext, id: string, res: ServerResponse): Promise<void> {
  const record = /^\d{1,15}$/.test(id) ? await read(context.store.get(Number(id))) : null;
  if (!record) throw new HttpError(404, `no record with id ${JSON.stringify(id)}`);
  sendJson(res, 200, recordJson(record));
}

export async function statsEndpoint(context: QueryContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(params, [...FILTER_PARAMETERS, 'bucket']);
  const filter = parseFilter(params, context.now());
  const bucketMs = parseBucket(params);
  sendJson(res, 200, await read(context.store.stats(bucketMs === undefined ? { filter } : { filter, bucketMs })));
}

export async function crashesEndpoint(context: QueryContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(params, [...FILTER_PARAMETERS, 'limit', 'hidden']);
  const filter = parseFilter(params, context.now());
  const limit = parseLimit(params, 100, PAGE_LIMIT) as number;
  const hidden = parseChoice(params, 'hidden', HIDDEN_CHOICES);
  const classification = filter.classification ?? CRASH_CLASSIFICATIONS;
  const groups = await read(context.store.crashes({ ...filter, classification }, limit, hidden));
  sendJson(res, 200, { classification, hidden, groups } satisfies CrashesAnswer);
}

const MAX_CHANNEL_LENGTH = 200;

export async function fleetEndpoint(context: QueryContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(params, ['channel', 'state', 'limit']);
  const channel = params.getAll('channel');
  if (channel.length > MAX_VALUES) throw new HttpError(400, `at most ${MAX_VALUES} values of channel per query (this one has ${channel.length})`);
  if (channel.some((value) => value === '' || value.length > MAX_CHANNEL_LENGTH)) throw new HttpError(400, `channel should be a channel name of 1 to ${MAX_CHANNEL_LENGTH} characters`);
  const state = [...new Set(params.getAll('state').flatMap((value) => value.split(',')))].map((value) => {
    if (!(FLEET_STATES as readonly string[]).includes(value)) throw new HttpError(400, `state should be one of: ${FLEET_STATES.join(', ')} (several: state=failed,rolled_back)`);
    return value as FleetState;
  });
  const limit = parseLimit(params, DEFAULT_PAGE, PAGE_LIMIT) as number;
  const [view, rollouts] = await Promise.all([
    read(context.store.fleet({ limit, ...(channel.length ? { channel } : {}), ...(state.length ? { state } : {}) })),
    read(context.store.rollouts(channel.length ? { channel } : {})),
  ]);
  sendJson(res, 200, {
    format_version: 1,
    total_machines: view.total_machines,
    channels: view.channels,
    machines: view.machines.map(({ creation_timestamp, received_at, ...machine }) => ({
      ...machine,
      seen_at: new Date(creation_timestamp * 1000).toISOString(),
      received_at: new Date(received_at).toISOString(),
    })),
    rollouts,
  } satisfies FleetAnswer);
}

export function fieldsEndpoint(params: URLSearchParams, res: ServerResponse): void {
  checkKnown(params, []);
  sendJson(res, 200, FIELDS_ANSWER);
}
