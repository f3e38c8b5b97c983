/**
 * PostgreSQL's records table is partitioned by RANGE on received_at (migration 6): one partition
 * per UTC day, named records_YYYYMMDD, plus a DEFAULT partition. Reception time is the key because
 * it is what retention ages records by (sql-writes.ts purgeConditions) and it is the collector's
 * own clock, so new rows always land in the newest partitions whatever an agent's clock says.
 *
 * Collectors create the partitions of today and the next DAYS_AHEAD days at start and every hour
 * (postgres-store.ts), serialised by an advisory lock, so several collectors on one database create
 * each partition once. A record whose day has no partition yet (a collector stopped for longer than
 * that, a clock jump) is stored in the DEFAULT partition rather than refused; creating its day's
 * partition later moves those rows into it. Retention drops whole partitions once every record in
 * them is past its age, and deletes rows only in the partial boundary partition.
 */
import type { MigrationConnection } from './migrations.js';
import type { PurgePlan } from './store.js';

export const DAY_MS = 86_400_000;
/** Partitions created ahead of today: a week of collector downtime before rows wait in the default partition. */
export const DAYS_AHEAD = 7;
export const DEFAULT_PARTITION = 'records_default';
/** The non-partitioned exactly-once key table (migration 6; see postgres-writes.ts for why it exists). */
export const KEYS_TABLE = 'record_keys';
/** Taken by whoever creates or drops partitions, so concurrent collectors do it once. */
const PARTITION_LOCK = 0x74706172; // "tpar"

/** A range partition: rows with from <= received_at < to. */
export interface RecordPartition {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

export type PartitionConnection = Pick<MigrationConnection, 'query'>;

export const dayStart = (time: number): number => Math.floor(time / DAY_MS) * DAY_MS;

const ymd = (time: number): string => new Date(time).toISOString().slice(0, 10).replaceAll('-', '');

export const partitionName = (from: number): string => `records_${ymd(from)}`;

/** Bounds go into DDL text (it takes no parameters), so only integers get there. */
function literal(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`partition bound ${value} is not an integer`);
  return String(value);
}

/** The range partitions of records, oldest first (the DEFAULT partition is left out). */
export async function listPartitions(connection: PartitionConnection): Promise<RecordPartition[]> {
  const rows = await connection.query(
    "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'records'::regclass",
  );
  const partitions: RecordPartition[] = [];
  for (const row of rows) {
    const match = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(String(row.bound));
    if (match) partitions.push({ name: String(row.name), from: Number(match[1]), to: Number(match[2]) });
  }
  return partitions.sort((a, b) => a.from - b.from);
}

/**
 * Creates a range partition. Rows of its range already in the DEFAULT partition move into it in
 * the same transaction (PostgreSQL refuses to create a partition the default one holds rows for).
 */
async function createPartition(connection: PartitionConnection, partition: RecordPartition): Promise<void> {
  const range = `FOR VALUES FROM (${literal(partition.from)}) TO (${literal(partition.to)})`;
  const [stray] = await connection.query(`SELECT COUNT(*) AS count FROM ${DEFAULT_PARTITION} WHERE received_at >= ? AND received_at < ?`, [partition.from, partition.to]);
  if (Number(stray?.count) === 0) {
    await connection.query(`CREATE TABLE ${partition.name} PARTITION OF records ${range}`);
    return;
  }
  await connection.query(`CREATE TABLE ${partition.name} (LIKE records INCLUDING DEFAULTS)`);
  await connection.query(`WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE received_at >= ? AND received_at < ? RETURNING *) INSERT INTO ${partition.name} SELECT * FROM moved`, [
    partition.from,
    partition.to,
  ]);
  await connection.query(`ALTER TABLE records ATTACH PARTITION ${partition.name} ${range}`);
}

/** Creates the day partitions of [from, to) that no partition covers yet. The caller holds a transaction. */
export async function createDayPartitions(connection: PartitionConnection, from: number, to: number): Promise<string[]> {
  await connection.query('SELECT pg_advisory_xact_lock(?)', [PARTITION_LOCK]);
  const existing = await listPartitions(connection);
  const created: string[] = [];
  for (let day = dayStart(from); day < to; day += DAY_MS) {
    const wanted = { name: partitionName(day), from: day, to: day + DAY_MS };
    if (existing.some((partition) => partition.from < wanted.to && wanted.from < partition.to)) continue;
    await createPartition(connection, wanted);
    created.push(wanted.name);
  }
  return created;
}

/** Today's partition and the next DAYS_AHEAD days'. */
export function ensurePartitions(connection: PartitionConnection, now: number): Promise<string[]> {
  const today = dayStart(now);
  return createDayPartitions(connection, today, today + (DAYS_AHEAD + 1) * DAY_MS);
}

/**
 * Before this reception time every record is past its age under the plan: the longest age of the
 * global rule and every classification rule (a record matching a rule is kept by the rule's age,
 * not the global one). null when some records may be kept forever: then no partition is dropped
 * whole, and retention deletes rows only.
 */
export function wholePartitionCutoff(plan: PurgePlan, now: number): number | null {
  if (plan.maxAgeMs === null) return null;
  let longest = plan.maxAgeMs;
  for (const rule of plan.rules) {
    if (rule.maxAgeMs === null) return null;
    longest = Math.max(longest, rule.maxAgeMs);
  }
  return now - longest;
}

/**
 * Drops the range partitions that end at or before `cutoff`, with their rows' exactly-once keys;
 * returns how many records went. The keys go first: that delete takes only row locks, so ingest
 * goes on meanwhile, and DROP (which locks the whole records table) is then a catalog change held
 * for milliseconds. lock_timeout bounds how long ingest can queue behind that lock; a purge that
 * cannot get it fails and runs again at the next interval. (A record of the dropped day sent again
 * at that very moment waits for its key's row lock while holding the table: PostgreSQL ends one of
 * the two as a deadlock, and either the purge or the agent tries again.) The caller holds a transaction.
 */
export async function dropExpiredPartitions(connection: PartitionConnection, cutoff: number): Promise<number> {
  await connection.query('SELECT pg_advisory_xact_lock(?)', [PARTITION_LOCK]);
  let deleted = 0;
  for (const partition of await listPartitions(connection)) {
    if (partition.to > cutoff) break;
    const [keys] = await connection.query(`WITH gone AS (DELETE FROM ${KEYS_TABLE} WHERE received_at >= ? AND received_at < ? RETURNING 1) SELECT COUNT(*) AS count FROM gone`, [
      partition.from,
      partition.to,
    ]);
    await connection.query("SET LOCAL lock_timeout = '2s'");
    await connection.query(`DROP TABLE ${partition.name}`);
    deleted += Number(keys?.count);
  }
  return deleted;
}
