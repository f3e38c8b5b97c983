/**
 * Records and machines per build, OS, classification and machine, and over creation time (GET
 * /api/population, GET /api/machine-checks), written once for both backends. Time is the records'
 * creation_timestamp (when the machine made the record), not reception: a fleet's builds are
 * followed by when machines ran them. Machines over time are counted per build (or OS, or
 * classification) and bucket: one that changed build within a bucket counts in both.
 */
import type { SqlReader } from './sql-reads.js';
import { whereClause } from './sql-filter.js';
import type { PopulationBucket, PopulationCounts, PopulationQuery, PopulationView } from './store.js';
import { chooseBucket, emptyBuckets } from './time-buckets.js';

/** Rows of each list at most; over time the TOP_SERIES largest are drawn, the rest summed as "other". */
const LIST_LIMIT = 50;
const TOP_SERIES = 8;
const MACHINES_LISTED = 20;

const num = (value: unknown) => Number(value ?? 0);

/** Adds `counts` to `into[key]`. @returns into */
function add(into: Record<string, PopulationCounts>, key: string, counts: PopulationCounts): Record<string, PopulationCounts> {
  const before = into[key] ?? { records: 0, machines: 0 };
  into[key] = { records: before.records + counts.records, machines: before.machines + counts.machines };
  return into;
}

export async function populationView(db: SqlReader, query: PopulationQuery): Promise<PopulationView> {
  const where = whereClause(query.filter, db.dialect);
  const from = `FROM records ${where.sql}`;
  const [summary] = await db.all(
    `SELECT COUNT(*) AS n, COUNT(DISTINCT machine_id) AS machines, MIN(creation_timestamp) AS first_created, MAX(creation_timestamp) AS last_created ${from}`,
    where.params,
  );
  const first = summary?.first_created == null ? null : num(summary.first_created) * 1000;
  const last = summary?.last_created == null ? null : num(summary.last_created) * 1000;
  const bucketMs = query.bucketMs ?? chooseBucket(first === null || last === null ? 0 : last - first);
  // Creation times are unix seconds; a bucket is a whole number of them, written into the SQL (a validated integer).
  const seconds = Math.max(1, Math.trunc(bucketMs / 1000));
  const bucket = `(creation_timestamp / ${seconds}) * ${seconds}`;
  const counted = 'COUNT(*) AS n, COUNT(DISTINCT machine_id) AS machines';
  const overTime = (column: string) => db.all(`SELECT ${bucket} AS bucket, ${column} AS key, ${counted} ${from} GROUP BY bucket, ${column} ORDER BY bucket`, where.params);

  const [builds, systems, classes, machines, totals, buildTime, systemTime, classTime] = await Promise.all([
    db.all(
      `SELECT system_name, build, ${counted}, MIN(creation_timestamp) AS first_created, MAX(creation_timestamp) AS last_created ${from} ` +
        `GROUP BY system_name, build ORDER BY n DESC, system_name, build LIMIT ${LIST_LIMIT}`,
      where.params,
    ),
    db.all(`SELECT system_name, ${counted} ${from} GROUP BY system_name ORDER BY n DESC, system_name LIMIT ${LIST_LIMIT}`, where.params),
    db.all(`SELECT classification, ${counted} ${from} GROUP BY classification ORDER BY n DESC, classification LIMIT ${LIST_LIMIT}`, where.params),
    db.all(
      `SELECT machine_id, COUNT(*) AS n, COUNT(DISTINCT build) AS builds, MAX(creation_timestamp) AS last_created ${from} GROUP BY machine_id ORDER BY n DESC, machine_id LIMIT ${MACHINES_LISTED}`,
      where.params,
    ),
    db.all(`SELECT ${bucket} AS bucket, ${counted} ${from} GROUP BY bucket ORDER BY bucket`, where.params),
    overTime('build'),
    overTime('system_name'),
    overTime('classification'),
  ]);

  const buckets = new Map<number, { -readonly [K in keyof PopulationBucket]: PopulationBucket[K] }>();
  const bucketAt = (start: number) => {
    let entry = buckets.get(start);
    if (!entry) buckets.set(start, (entry = { start, records: 0, machines: 0, by_build: {}, by_system: {}, by_classification: {} }));
    return entry;
  };
  for (const start of emptyBuckets(first, last, seconds * 1000)) bucketAt(start);
  for (const row of totals) Object.assign(bucketAt(num(row.bucket) * 1000), { records: num(row.n), machines: num(row.machines) });
  // The series drawn over time: the largest by records overall, the others as "other".
  const topOf = (rows: readonly Record<string, unknown>[]) =>
    new Set(
      [...rows.reduce((sums, row) => sums.set(String(row.key), (sums.get(String(row.key)) ?? 0) + num(row.n)), new Map<string, number>())]
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .slice(0, TOP_SERIES)
        .map(([key]) => key),
    );
  for (const [rows, field] of [
    [buildTime, 'by_build'],
    [systemTime, 'by_system'],
    [classTime, 'by_classification'],
  ] as const) {
    const top = topOf(rows);
    for (const row of rows) {
      const key = String(row.key);
      add(bucketAt(num(row.bucket) * 1000)[field], top.has(key) ? key : 'other', { records: num(row.n), machines: num(row.machines) });
    }
  }

  return {
    records: num(summary?.n),
    machines: num(summary?.machines),
    first_created: first,
    last_created: last,
    by_build: builds.map((row) => ({
      system_name: row.system_name as string,
      build: row.build as string,
      records: num(row.n),
      machines: num(row.machines),
      first_created: num(row.first_created) * 1000,
      last_created: num(row.last_created) * 1000,
    })),
    by_system: systems.map((row) => ({ system_name: row.system_name as string, records: num(row.n), machines: num(row.machines) })),
    by_classification: classes.map((row) => ({ classification: row.classification as string, records: num(row.n), machines: num(row.machines) })),
    by_machine: machines.map((row) => ({ machine_id: row.machine_id as string, records: num(row.n), builds: num(row.builds), last_created: num(row.last_created) * 1000 })),
    over_time: { bucket_ms: seconds * 1000, buckets: [...buckets.values()].sort((a, b) => a.start - b.start) },
  };
}
