/**
 * Migration 6 on PostgreSQL: the unpartitioned records table of versions 1–5 becomes the
 * partitioned one of partitions.ts, keeping every row and its id. Runs in the migration's
 * transaction, so a failure leaves the old table as it was.
 *
 * No table has a foreign key to records: fleet_status and fleet_rollout_machines keep a
 * record_id as a plain value (a machine's latest status outlives its purged records, by design),
 * so ids are all they need, and ids are kept. A foreign key to a partitioned table would have to
 * name (id, received_at) and would make every partition drop check the referencing rows.
 */
import type { MigrationConnection } from './migrations.js';
import { DAY_MS, DAYS_AHEAD, DEFAULT_PARTITION, KEYS_TABLE, createDayPartitions, dayStart } from './partitions.js';

/** The old table while its rows are copied. */
const OLD_TABLE = 'records_unpartitioned';
/** Rows older than this many days before the migration share one partition rather than one each. */
export const BACKFILL_DAYS = 62;
export const ID_SEQUENCE = 'record_ids';

export function partitionStatements(): string[] {
  return [
    `ALTER TABLE records RENAME TO ${OLD_TABLE}`,
    // Index names are per schema: the new table's primary key takes the old one's name.
    `ALTER INDEX records_pkey RENAME TO ${OLD_TABLE}_pkey`,
    // Ids come from a sequence of their own: the identity sequence belongs to the old table's
    // column, and the key table draws the id before the row exists (postgres-writes.ts).
    `CREATE SEQUENCE ${ID_SEQUENCE} AS BIGINT`,
    // The same columns in the same order (NOT NULL kept), so rows copy with SELECT *. The primary
    // key must contain the partition key; ids stay unique because only the sequence assigns them.
    `CREATE TABLE records (LIKE ${OLD_TABLE}, PRIMARY KEY (id, received_at)) PARTITION BY RANGE (received_at)`,
    `ALTER TABLE records ALTER COLUMN id SET DEFAULT nextval('${ID_SEQUENCE}')`,
    `CREATE TABLE ${DEFAULT_PARTITION} PARTITION OF records DEFAULT`,
    `CREATE TABLE ${KEYS_TABLE} (record_sha256 TEXT PRIMARY KEY, id BIGINT NOT NULL DEFAULT nextval('${ID_SEQUENCE}'), received_at BIGINT NOT NULL)`,
  ];
}

/**
 * Partitions for the rows there are, the rows and their keys copied, ids continued. The days
 * ahead are the store's to create (postgres-store.ts, right after the migrations).
 */
export async function partitionRows(connection: MigrationConnection, now: number = Date.now()): Promise<void> {
  const today = dayStart(now);
  const [range] = await connection.query(`SELECT MIN(received_at) AS first, MAX(received_at) AS last, MAX(id) AS last_id FROM ${OLD_TABLE}`);
  if (range?.first !== null && range?.first !== undefined) {
    const first = dayStart(Number(range.first));
    const daily = Math.min(Math.max(first, today - BACKFILL_DAYS * DAY_MS), today);
    if (first < daily) {
      // Years of rows under a long retention would be thousands of day partitions; they share one,
      // dropped whole once its newest day is past its age and until then purged row by row.
      const name = `records_before_${new Date(daily).toISOString().slice(0, 10).replaceAll('-', '')}`;
      await connection.query(`CREATE TABLE ${name} PARTITION OF records FOR VALUES FROM (${first}) TO (${daily})`);
    }
    await createDayPartitions(connection, daily, Math.min(dayStart(Number(range.last)) + DAY_MS, today + (DAYS_AHEAD + 1) * DAY_MS));
  }
  // Rows from beyond the days ahead (a clock that was ahead) go to the default partition.
  await connection.query(`INSERT INTO records SELECT * FROM ${OLD_TABLE}`);
  await connection.query(`INSERT INTO ${KEYS_TABLE} (record_sha256, id, received_at) SELECT record_sha256, id, received_at FROM ${OLD_TABLE}`);

  // Ids are never reused (cursors and live views rely on it): continue after the old sequence, which
  // is past the largest id when the newest rows were purged.
  const [sequence] = await connection.query(`SELECT pg_get_serial_sequence('${OLD_TABLE}', 'id') AS name`);
  const [state] = await connection.query(`SELECT last_value, is_called FROM ${String(sequence?.name)}`);
  const next = Math.max(Number(range?.last_id ?? 0) + 1, Number(state?.last_value) + (state?.is_called ? 1 : 0), 1);
  await connection.query(`SELECT setval('${ID_SEQUENCE}', ?, false)`, [next]);
  await connection.query(`DROP TABLE ${OLD_TABLE}`);
}

/** The indexes, created once the rows are in (one pass per partition instead of one update per row). */
export function partitionIndexes(): string[] {
  return [
    // The query indexes of migrations 1 and 3, by the same names, now on every partition.
    'CREATE INDEX records_received_at ON records (received_at)',
    'CREATE INDEX records_classification ON records (classification, id)',
    'CREATE INDEX records_severity ON records (severity, id)',
    'CREATE INDEX records_machine_id ON records (machine_id, id)',
    'CREATE INDEX records_build ON records (build, id)',
    'CREATE INDEX records_system_name ON records (system_name, id)',
    'CREATE INDEX records_event_id ON records (event_id)',
    'CREATE INDEX records_first_frame ON records (first_frame, id)',
    'CREATE INDEX records_classification_prefix ON records (classification text_pattern_ops)',
    // Retention deletes the keys of a dropped partition by its range.
    `CREATE INDEX ${KEYS_TABLE}_received_at ON ${KEYS_TABLE} (received_at)`,
  ];
}
