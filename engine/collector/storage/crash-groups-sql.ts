/**
 * One crash group (a signature) in the database, written once for both backends: its page (GET
 * /api/crash-groups/<signature>) and the operator's note on it (migration 10, crash_group_notes:
 * a comment and whether the crash list hides it), keyed by the signature's text. A change of the
 * skip list that gives the records another signature leaves the note with the old one.
 */
import type { ColumnType } from './dialect.js';
import type { SqlExecutor } from './rollout-sql.js';
import { type Row, rowToRecord } from './rows.js';
import type { SqlReader } from './sql-reads.js';
import { chooseBucket, emptyBuckets } from './time-buckets.js';
import { whereClause } from './sql-filter.js';
import type { CrashGroupDetail, CrashGroupNote, CrashGroupQuery, CrashGroupNoteChange, RecordFilter } from './store.js';

export const NOTES_TABLE = 'crash_group_notes';

export const NOTE_COLUMNS: readonly (readonly [string, ColumnType, 'null'?])[] = [
  ['signature', 'text'],
  ['comment', 'text', 'null'],
  ['hidden', 'int'],
  ['updated_at', 'bigint'],
  ['updated_by', 'text'],
];

/** Other records of the group a page lists, besides its representative (upstream showed 50 backtraces). */
export const GROUP_RECORDS = 50;
/** Machines a page lists, the most affected first (all are counted). */
export const GROUP_MACHINES = 100;
const GROUP_BUILDS = 100;

const NO_NOTE: CrashGroupNote = { comment: null, hidden: false, updated_at: null, updated_by: null };

export function noteOf(row: Row | undefined): CrashGroupNote {
  if (!row) return NO_NOTE;
  return {
    comment: (row.comment as string | null) ?? null,
    hidden: Number(row.hidden) === 1,
    updated_at: Number(row.updated_at),
    updated_by: row.updated_by as string,
  };
}

const num = (value: unknown) => Number(value ?? 0);
const msOrNull = (seconds: unknown) => (seconds == null ? null : num(seconds) * 1000);

/** Whether any record has this signature among `classification`; the partial index records_signature answers it. */
async function signatureKnown(db: SqlReader, signature: string, classification: RecordFilter['classification']): Promise<boolean> {
  const where = whereClause({ signature: [signature], ...(classification ? { classification } : {}) }, db.dialect);
  return (await db.all(`SELECT 1 AS known FROM records ${where.sql} LIMIT 1`, where.params)).length > 0;
}

/**
 * The page of one group: the records of `signature` that match the filter, counted by build, by
 * classification, by machine and over their creation time, with the latest as representative and
 * up to GROUP_RECORDS others. null when no record of the filter's classifications has the signature.
 */
export async function crashGroupDetail(db: SqlReader, query: CrashGroupQuery): Promise<CrashGroupDetail | null> {
  const { signature } = query;
  const where = whereClause({ ...query.filter, signature: [signature] }, db.dialect);
  const from = `FROM records ${where.sql}`;
  const [summary] = await db.all(
    `SELECT COUNT(*) AS n, COUNT(DISTINCT machine_id) AS machines, MIN(creation_timestamp) AS first_created, MAX(creation_timestamp) AS last_created, ` +
      `MIN(received_at) AS first_received, MAX(received_at) AS last_received ${from}`,
    where.params,
  );
  const count = num(summary?.n);
  if (count === 0 && !(await signatureKnown(db, signature, query.filter.classification))) return null;
  const firstCreated = msOrNull(summary?.first_created);
  const lastCreated = msOrNull(summary?.last_created);
  const bucketMs = query.bucketMs ?? chooseBucket(firstCreated === null || lastCreated === null ? 0 : lastCreated - firstCreated);
  // Creation times are unix seconds; a bucket is a whole number of them, written into the SQL (a validated integer).
  const seconds = Math.max(1, Math.trunc(bucketMs / 1000));
  const bucket = `(creation_timestamp / ${seconds}) * ${seconds}`;

  const [builds, classes, machines, timeline, records, notes] = await Promise.all([
    db.all(
      `SELECT system_name, build, COUNT(*) AS n, COUNT(DISTINCT machine_id) AS machines, MIN(creation_timestamp) AS first_created, MAX(creation_timestamp) AS last_created ` +
        `${from} GROUP BY system_name, build ORDER BY n DESC LIMIT ${GROUP_BUILDS}`,
      where.params,
    ),
    db.all(`SELECT classification, COUNT(*) AS n ${from} GROUP BY classification ORDER BY n DESC, classification`, where.params),
    db.all(
      `SELECT machine_id, COUNT(*) AS n, COUNT(DISTINCT build) AS builds, MAX(creation_timestamp) AS last_created ${from} ` +
        `GROUP BY machine_id ORDER BY n DESC, machine_id LIMIT ${GROUP_MACHINES}`,
      where.params,
    ),
    db.all(`SELECT ${bucket} AS bucket, COUNT(*) AS n, COUNT(DISTINCT machine_id) AS machines ${from} GROUP BY bucket ORDER BY bucket`, where.params),
    db.all(`SELECT * ${from} ORDER BY id DESC LIMIT ${GROUP_RECORDS + 1}`, where.params),
    db.all(`SELECT * FROM ${NOTES_TABLE} WHERE signature = ?`, [signature]),
  ]);

  const buckets = new Map(emptyBuckets(firstCreated, lastCreated, seconds * 1000).map((start) => [start, { start, count: 0, machines: 0 }]));
  for (const row of timeline) {
    const start = num(row.bucket) * 1000;
    buckets.set(start, { start, count: num(row.n), machines: num(row.machines) });
  }
  const [representative, ...others] = records.map(rowToRecord);
  // "Did build N fix it?": builds in version order (numbers as numbers), each with when it was last seen.
  const byBuild = builds
    .map((row) => ({
      system_name: row.system_name as string,
      build: row.build as string,
      count: num(row.n),
      machines: num(row.machines),
      first_created: num(row.first_created) * 1000,
      last_created: num(row.last_created) * 1000,
    }))
    .sort((a, b) => a.system_name.localeCompare(b.system_name) || a.build.localeCompare(b.build, 'en', { numeric: true }));
  return {
    signature,
    note: noteOf(notes[0]),
    count,
    machines: num(summary?.machines),
    first_created: firstCreated,
    last_created: lastCreated,
    first_received: summary?.first_received == null ? null : num(summary.first_received),
    last_received: summary?.last_received == null ? null : num(summary.last_received),
    by_build: byBuild,
    by_classification: classes.map((row) => ({ classification: row.classification as string, count: num(row.n) })),
    by_machine: machines.map((row) => ({ machine_id: row.machine_id as string, count: num(row.n), builds: num(row.builds), last_created: num(row.last_created) * 1000 })),
    over_time: { bucket_ms: seconds * 1000, buckets: [...buckets.values()].sort((a, b) => a.start - b.start) },
    representative: representative ?? null,
    records: others,
  };
}

/**
 * Sets the comment and/or the hidden switch of a group (what the change leaves out stays); null
 * when no stored record has the signature, so a typo cannot leave a note nobody sees.
 */
export async function setCrashGroupNote(db: SqlExecutor, signature: string, change: CrashGroupNoteChange, now: number): Promise<CrashGroupNote | null> {
  if (!(await signatureKnown(db, signature, undefined))) return null;
  const before = noteOf((await db.all(`SELECT * FROM ${NOTES_TABLE} WHERE signature = ?`, [signature]))[0]);
  const comment = change.comment === undefined ? before.comment : change.comment === '' ? null : change.comment;
  const hidden = change.hidden ?? before.hidden;
  const rows = await db.all(
    `INSERT INTO ${NOTES_TABLE} (signature, comment, hidden, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) ` +
      'ON CONFLICT (signature) DO UPDATE SET comment = excluded.comment, hidden = excluded.hidden, updated_at = excluded.updated_at, updated_by = excluded.updated_by ' +
      'RETURNING *',
    [signature, comment, hidden ? 1 : 0, now, change.by],
  );
  return noteOf(rows[0]);
}
