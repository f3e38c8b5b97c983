/**
 * The write statements of the partitioned PostgreSQL schema (migration 6, partitions.ts).
 *
 * Why the exactly-once key has a table of its own (record_keys, not partitioned): a unique index on
 * a partitioned table must contain the partition key, received_at, and a record sent again a day
 * later carries another received_at, so (record_sha256, received_at) would store it twice. A key
 * derived from the record itself (creation_timestamp) is no partition key for retention, which ages
 * records by reception, and agent clocks are wrong. So record_keys holds every stored record's digest
 * (its primary key) with the id and received_at of its row, one small row per record; a duplicate
 * is found whatever partition its first copy is in, and retention deletes keys with their rows.
 *
 * A batch is one statement: the arrays of each column (unnest, so the statement text and its 24
 * parameters are the same for any batch size) feed the key insert, which skips the keys already
 * there (waiting, as a unique index does, for another collector's transaction inserting the same
 * key), and the rows of the keys it inserted go into records with the ids the keys drew.
 */
import type { Dialect } from './dialect.js';
import { KEYS_TABLE } from './partitions.js';
import { INSERT_COLUMNS, KEY_COLUMN, type Row } from './rows.js';
import type { PreparedRow, SqlStatement } from './sql-writes.js';
import { purgeConditions } from './sql-writes.js';
import type { PurgePlan } from './store.js';

/** The array type of each inserted column (the column types of migrations 1, 2 and 7); the compiler checks every column is here. */
const ARRAY_TYPES = {
  received_at: 'bigint[]',
  tenant: 'text[]',
  protocol: 'text[]',
  external: 'boolean[]',
  record_format_version: 'integer[]',
  classification: 'text[]',
  severity: 'integer[]',
  machine_id: 'text[]',
  creation_timestamp: 'bigint[]',
  arch: 'text[]',
  host_type: 'text[]',
  build: 'text[]',
  kernel_version: 'text[]',
  payload_format_version: 'integer[]',
  system_name: 'text[]',
  board_name: 'text[]',
  cpu_model: 'text[]',
  bios_version: 'text[]',
  event_id: 'text[]',
  payload: 'text[]',
  record_sha256: 'text[]',
  first_frame: 'text[]',
  frames: 'text[]',
  signature: 'text[]',
} satisfies Record<(typeof INSERT_COLUMNS)[number], string>;

/** The first row of each key: the statement inserts each key once; matchResults answers the others duplicate. */
export function firstOfEachKey(rows: readonly PreparedRow[]): PreparedRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => !seen.has(row.key) && seen.add(row.key));
}

/** Stores the rows whose key is new, in input order (their ids increase with it); returns their ids and keys. */
export function partitionedInsertStatement(rows: readonly PreparedRow[]): SqlStatement {
  const unique = firstOfEachKey(rows);
  const columns = INSERT_COLUMNS.join(', ');
  const arrays = INSERT_COLUMNS.map((column) => `?::${ARRAY_TYPES[column]}`).join(', ');
  return {
    sql:
      `WITH input AS (SELECT * FROM unnest(${arrays}) WITH ORDINALITY AS input(${columns}, ord)), ` +
      `fresh AS (INSERT INTO ${KEYS_TABLE} (${KEY_COLUMN}, received_at) SELECT ${KEY_COLUMN}, received_at FROM input ORDER BY ord ` +
      `ON CONFLICT (${KEY_COLUMN}) DO NOTHING RETURNING id, ${KEY_COLUMN}) ` +
      `INSERT INTO records (id, ${columns}) SELECT fresh.id, ${INSERT_COLUMNS.map((column) => `input.${column}`).join(', ')} ` +
      // Only the id comes back: the rest of each row is what was sent (storedRows), not worth the wire and parsing.
      `FROM input JOIN fresh USING (${KEY_COLUMN}) RETURNING id, ${KEY_COLUMN}`,
    params: INSERT_COLUMNS.map((_, index) => unique.map((row) => row.values[index])),
  };
}

/** The rows the insert stored, as RETURNING * would give them: the values sent, with the id each got. */
export function storedRows(rows: readonly PreparedRow[], returned: readonly Row[]): Row[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  return returned.map((stored) => {
    const row = byKey.get(stored[KEY_COLUMN] as string);
    if (!row) throw new Error(`the insert returned key ${String(stored[KEY_COLUMN])}, which was not sent`);
    const values: Row = { id: stored.id };
    INSERT_COLUMNS.forEach((column, index) => {
      values[column] = row.values[index];
    });
    return values;
  });
}

/**
 * The stored rows of the keys the insert skipped, through record_keys (the id and received_at find
 * the row in its partition); null when none was skipped. A statement of its own: it must see what
 * another collector committed while the insert waited for it, and a statement sees only what was
 * committed before it began.
 */
export function partitionedExistingStatement(rows: readonly PreparedRow[], inserted: readonly Row[]): SqlStatement | null {
  const insertedKeys = new Set(inserted.map((row) => row[KEY_COLUMN] as string));
  const skipped = [...new Set(rows.map((row) => row.key).filter((key) => !insertedKeys.has(key)))];
  if (skipped.length === 0) return null;
  return {
    sql: `SELECT records.* FROM ${KEYS_TABLE} JOIN records ON records.id = ${KEYS_TABLE}.id AND records.received_at = ${KEYS_TABLE}.received_at WHERE ${KEYS_TABLE}.${KEY_COLUMN} = ANY(?::text[])`,
    params: [skipped],
  };
}

/**
 * The row deletes of a purge (after whole partitions are dropped, these touch the boundary
 * partition and the rules shorter than the longest age), each taking its rows' keys along and
 * answering one row: how many records went.
 */
export function partitionedPurgeStatements(plan: PurgePlan, now: number, dialect: Dialect): SqlStatement[] {
  return purgeConditions(plan, now, dialect).map(({ sql, params }) => ({
    sql:
      `WITH gone AS (DELETE FROM records WHERE ${sql} RETURNING ${KEY_COLUMN}), ` +
      `keys AS (DELETE FROM ${KEYS_TABLE} WHERE ${KEY_COLUMN} IN (SELECT ${KEY_COLUMN} FROM gone)) ` +
      'SELECT COUNT(*) AS count FROM gone',
    params,
  }));
}
