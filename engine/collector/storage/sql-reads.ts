/** The read queries (records, stats, crash groups), written once for both backends. */
import type { StoredRecord } from '../record/record.js';
import type { Dialect } from './dialect.js';
import { type Row, rowToRecord } from './rows.js';
import { whereClause } from './sql-filter.js';
import type { CrashGroup, CrashRules, HiddenGroups, ListQuery, RecordFilter, RecordStats, StatsQuery, TimeBucket } from './store.js';
import { NOTES_TABLE } from './crash-groups-sql.js';
import { chooseBucket, emptyBuckets } from './time-buckets.js';
import { READ_RULES, READ_VERSION, storedRules } from './crash-rules-sql.js';

export interface SqlReader {
  readonly dialect: Dialect;
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
}

/** Classifications drawn separately over time; the rest are summed as "other". */
const TOP_CLASSIFICATIONS = 8;
const GROUP_LIMIT = 50;

export async function getRecord(db: SqlReader, id: number): Promise<StoredRecord | null> {
  const rows = await db.all('SELECT * FROM records WHERE id = ?', [id]);
  return rows[0] ? rowToRecord(rows[0]) : null;
}

export async function listRecords(db: SqlReader, query: ListQuery): Promise<StoredRecord[]> {
  const cursor = query.beforeId === undefined ? [] : [{ sql: 'id < ?', params: [query.beforeId] }];
  const where = whereClause(query.filter, db.dialect, cursor);
  const rows = await db.all(`SELECT * FROM records ${where.sql} ORDER BY id DESC LIMIT ?`, [...where.params, query.limit]);
  return rows.map(rowToRecord);
}

function num(value: unknown): number {
  return Number(value ?? 0);
}

export async function recordStats(db: SqlReader, query: StatsQuery): Promise<RecordStats> {
  const where = whereClause(query.filter, db.dialect);
  const from = `FROM records ${where.sql}`;
  const [summary] = await db.all(
    `SELECT COUNT(*) AS total, COUNT(DISTINCT machine_id) AS machines, MIN(received_at) AS first_received, MAX(received_at) AS last_received ${from}`,
    where.params,
  );
  const first = summary?.first_received == null ? null : num(summary.first_received);
  const last = summary?.last_received == null ? null : num(summary.last_received);
  const bucketMs = query.bucketMs ?? chooseBucket(first === null || last === null ? 0 : last - first);
  // bucketMs is a validated integer, so it is written into the SQL: SQLite divides integers only when both sides are.
  const bucket = `(received_at / ${Math.trunc(bucketMs)}) * ${Math.trunc(bucketMs)}`;

  const [classes, severities, builds, severityTime, classTime] = await Promise.all([
    db.all(`SELECT classification, COUNT(*) AS n ${from} GROUP BY classification ORDER BY n DESC, classification LIMIT ${GROUP_LIMIT}`, where.params),
    db.all(`SELECT severity, COUNT(*) AS n ${from} GROUP BY severity ORDER BY severity`, where.params),
    db.all(`SELECT build, COUNT(*) AS n, COUNT(DISTINCT machine_id) AS m ${from} GROUP BY build ORDER BY n DESC, build LIMIT ${GROUP_LIMIT}`, where.params),
    db.all(`SELECT ${bucket} AS bucket, severity, COUNT(*) AS n ${from} GROUP BY bucket, severity ORDER BY bucket`, where.params),
    db.all(`SELECT ${bucket} AS bucket, classification, COUNT(*) AS n ${from} GROUP BY bucket, classification ORDER BY bucket`, where.params),
  ]);

  const top = new Set(classes.slice(0, TOP_CLASSIFICATIONS).map((row) => row.classification as string));
  const buckets = new Map<number, { count: number; by_severity: Record<string, number>; by_classification: Record<string, number> }>();
  const bucketAt = (start: number) => {
    let entry = buckets.get(start);
    if (!entry) buckets.set(start, (entry = { count: 0, by_severity: {}, by_classification: {} }));
    return entry;
  };
  for (const start of emptyBuckets(first, last, bucketMs)) bucketAt(start);
  for (const row of severityTime) {
    const entry = bucketAt(num(row.bucket));
    entry.count += num(row.n);
    entry.by_severity[String(row.severity)] = num(row.n);
  }
  for (const row of classTime) {
    const entry = bucketAt(num(row.bucket));
    const name = top.has(row.classification as string) ? (row.classification as string) : 'other';
    entry.by_classification[name] = (entry.by_classification[name] ?? 0) + num(row.n);
  }
  const timeline: TimeBucket[] = [...buckets.entries()].sort(([a], [b]) => a - b).map(([start, entry]) => ({ start, ...entry }));

  return {
    total: num(summary?.total),
    machines: num(summary?.machines),
    first_received: first,
    last_received: last,
    by_classification: classes.map((row) => ({ classification: row.classification as string, count: num(row.n) })),
    by_severity: severities.map((row) => ({ severity: num(row.severity), count: num(row.n) })),
    by_build: builds.map((row) => ({ build: row.build as string, count: num(row.n), machines: num(row.m) })),
    over_time: { bucket_ms: bucketMs, buckets: timeline },
  };
}

/**
 * Crash groups: one per signature, largest first, each with the first frame of its latest record
 * (read by the latest id, after the groups are cut to the limit) and its note (migration 10); hidden
 * groups are left out before the limit unless `hidden` says otherwise.
 */
export async function crashGroups(db: SqlReader, filter: RecordFilter, limit: number, hidden: HiddenGroups = 'exclude'): Promise<CrashGroup[]> {
  const where = whereClause(filter, db.dialect);
  const order = 'n DESC, last_received DESC, latest_id DESC';
  const shown = hidden === 'include' ? '' : hidden === 'only' ? 'WHERE notes.hidden = 1' : 'WHERE notes.hidden IS NULL OR notes.hidden = 0';
  const rows = await db.all(
    `SELECT crash_groups.*, latest.first_frame FROM (` +
      `SELECT grouped.*, notes.hidden, notes.comment FROM (` +
      `SELECT signature, COUNT(*) AS n, COUNT(DISTINCT machine_id) AS machines, COUNT(DISTINCT build) AS builds, ` +
      `MIN(received_at) AS first_received, MAX(received_at) AS last_received, MAX(id) AS latest_id ` +
      `FROM records ${where.sql} GROUP BY signature` +
      `) AS grouped LEFT JOIN ${NOTES_TABLE} AS notes ON notes.signature = grouped.signature ${shown} ORDER BY ${order} LIMIT ?` +
      `) AS crash_groups LEFT JOIN records AS latest ON latest.id = crash_groups.latest_id ORDER BY ${order}`,
    [...where.params, limit],
  );
  return rows.map((row) => ({
    signature: (row.signature as string | null) ?? null,
    first_frame: (row.first_frame as string | null) ?? null,
    count: num(row.n),
    machines: num(row.machines),
    builds: num(row.builds),
    first_received: num(row.first_received),
    last_received: num(row.last_received),
    latest_id: num(row.latest_id),
    hidden: Number(row.hidden) === 1,
    comment: (row.comment as string | null) ?? null,
  }));
}

/** The skip list and its version (storage/crash-rules-sql.ts). */
export async function crashRules(db: SqlReader): Promise<CrashRules> {
  const [version, rules] = await Promise.all([db.all(READ_VERSION, []), db.all(READ_RULES, [])]);
  return storedRules(version, rules);
}
