/**
 * Everything that writes to the collector's SQLite file, on one connection: opening it (WAL, full
 * sync, migrations), storing a batch of records in one transaction, rollout writes, purge and ping.
 * It runs on the writer thread (sqlite-write-worker.ts) for a file, and on the main thread only for
 * ":memory:" (a database that exists on one connection alone).
 */
import type Database from 'better-sqlite3';
import type { IncomingRecord, StoredRecord } from '../record/record.js';
import { sqliteDialect } from './dialect.js';
import { fleetUpdate } from './fleet-sql.js';
import { MIGRATIONS_TABLE, type MigrationConnection, applyMigrations } from './migrations.js';
import { INSERT_COLUMNS, KEY_COLUMN, type Row, rowToRecord } from './rows.js';
import { openSqlite, statementCache } from './sqlite-connection.js';
import { type SqlStatement, prepareRow, purgeStatements } from './sql-writes.js';
import type { AppliedMigration, InsertResult, PurgePlan } from './store.js';
import { READ_RULES, READ_VERSION } from './crash-rules-sql.js';
import { type SkipList, skipList } from '../crash/skip-rules.js';
import type { RolloutKey } from '../fleet/rollout-views.js';

/**
 * What storing one record came to, small enough to pass between threads cheaply: a new record is
 * the record that was sent plus its id and first frame (toInsertResult rebuilds it), a duplicate
 * brings the row stored before.
 */
export type InsertOutcome =
  | {
      readonly duplicate: false;
      readonly id: number;
      readonly first_frame: string | null;
      readonly signature: string | null;
      readonly invalid_status?: string;
      readonly rollout?: RolloutKey;
    }
  | { readonly duplicate: true; readonly record: StoredRecord };

export function toInsertResult(record: IncomingRecord, outcome: InsertOutcome): InsertResult {
  if (outcome.duplicate) return { record: outcome.record, duplicate: true };
  const stored = rowToRecord({ ...record, id: outcome.id, first_frame: outcome.first_frame, signature: outcome.signature });
  return {
    record: stored,
    duplicate: false,
    ...(outcome.invalid_status === undefined ? {} : { invalid_status: outcome.invalid_status }),
    ...(outcome.rollout === undefined ? {} : { rollout: outcome.rollout }),
  };
}

export interface SqliteWriter {
  /** Stores the records in one transaction; outcomes in input order. */
  insert(records: readonly IncomingRecord[]): InsertOutcome[];
  all(sql: string, params: readonly unknown[]): Row[];
  run(sql: string, params: readonly unknown[]): number;
  /** Runs the statements in one transaction; the rows of each ([] for one returning none). */
  transaction(statements: readonly SqlStatement[]): Row[][];
  purge(plan: PurgePlan, now: number): number;
  ping(): void;
  readonly db: Database.Database;
  /** The migrations opening the file applied. */
  readonly migrations: readonly AppliedMigration[];
}

const toInteger = (value: boolean) => (value ? 1 : 0);
/** WAL pages (4 KiB) between automatic checkpoints. */
const CHECKPOINT_PAGES = 10_000;

/**
 * Opens the file for writing: WAL with synchronous = FULL, so a COMMIT returns only once the WAL is
 * fsynced and a 201 answered after it means the record survives a power loss; then migrations.
 */
export async function openSqliteWriter(file: string): Promise<SqliteWriter> {
  const db = openSqlite(file);
  let migrations: readonly AppliedMigration[];
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // A checkpoint every ~40 MB of WAL rather than SQLite's 4 MB: the pages every commit touches
    // (the right edge of each index) are copied back once per checkpoint, not ten times, which took
    // a 1,000-row insert from 27k to 40k rows/s here. Durability is the WAL's fsync at each commit,
    // whatever the interval.
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    migrations = await migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return sqliteWriter(db, migrations);
}

function sqliteWriter(db: Database.Database, migrations: readonly AppliedMigration[]): SqliteWriter {
  const { prepared, all } = statementCache(db);
  const readVersion = db.prepare(READ_VERSION);
  const readRules = db.prepare(READ_RULES);
  // The skip list of the version last read; one collector writes a SQLite file, but the version is
  // read in every insert transaction all the same, as on PostgreSQL (crash-rules-sql.ts).
  let rules: { version: number | null; list: SkipList } = { version: null, list: skipList([]) };
  const skipListInForce = (): SkipList => {
    const version = Number((readVersion.get() as Row | undefined)?.version);
    if (version !== rules.version) rules = { version, list: skipList((readRules.all() as Row[]).map((row) => row.pattern as string)) };
    return rules.list;
  };
  // One prepared statement per row rather than a multi-row INSERT … RETURNING *: no SQL text or
  // parameter array the size of the batch to build, nothing read back (the caller has the record),
  // and run() rather than RETURNING, which took 45 % of the insert time here (16k → 29k rows/s).
  const insertRow = db.prepare(`INSERT INTO records (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (${KEY_COLUMN}) DO NOTHING`);
  const storedRow = db.prepare(`SELECT * FROM records WHERE ${KEY_COLUMN} = ?`);

  const insert = db.transaction((records: readonly IncomingRecord[]): InsertOutcome[] => {
    const outcomes: (InsertOutcome | null)[] = [];
    const fresh: Row[] = [];
    const skip = skipListInForce();
    for (const record of records) {
      const row = prepareRow(record, toInteger, skip);
      const inserted = insertRow.run(...row.values);
      if (inserted.changes === 0) {
        // Stored before, or earlier in this batch: the stored row answers.
        const existing = storedRow.get(row.key) as Row | undefined;
        if (!existing) throw new Error(`record ${row.key} was neither inserted nor found`);
        outcomes.push({ duplicate: true, record: rowToRecord(existing) });
        continue;
      }
      // The row as stored, for the fleet update (which reads its columns by name).
      const stored: Row = { id: Number(inserted.lastInsertRowid) };
      INSERT_COLUMNS.forEach((column, index) => (stored[column] = row.values[index]));
      fresh.push(stored);
      outcomes.push(null);
    }
    // The latest status per machine, in the same transaction as the records it comes from.
    const fleet = fleetUpdate(fresh);
    if (fleet.statement) prepared(fleet.statement.sql).run(...fleet.statement.params);
    for (const statement of fleet.rollouts) prepared(statement.sql).run(...statement.params);
    let next = 0;
    return outcomes.map((outcome) => {
      if (outcome) return outcome;
      const row = fresh[next++] as Row;
      const id = row.id as number;
      const invalid = fleet.invalid.get(id);
      const rollout = fleet.touched.get(id);
      return {
        duplicate: false,
        id,
        first_frame: (row.first_frame as string | null) ?? null,
        signature: (row.signature as string | null) ?? null,
        ...(invalid === undefined ? {} : { invalid_status: invalid }),
        ...(rollout === undefined ? {} : { rollout }),
      };
    });
  });

  const purge = db.transaction((plan: PurgePlan, now: number) =>
    purgeStatements(plan, now, sqliteDialect).reduce((total, statement) => total + prepared(statement.sql).run(...statement.params).changes, 0),
  );

  const transaction = db.transaction((statements: readonly SqlStatement[]) =>
    statements.map((statement) => {
      const compiled = prepared(statement.sql);
      if (compiled.reader) return compiled.all(...statement.params) as Row[];
      compiled.run(...statement.params);
      return [];
    }),
  );

  return {
    db,
    migrations,
    insert: (records) => (records.length === 0 ? [] : insert(records)),
    all,
    run: (sql, params) => prepared(sql).run(...params).changes,
    transaction: (statements) => transaction(statements),
    purge: (plan, now) => purge(plan, now),
    // A table read, not "SELECT 1": it needs the file and its lock, as every query does.
    ping: () => void prepared(`SELECT version FROM ${MIGRATIONS_TABLE} LIMIT 1`).get(),
  };
}

/**
 * One explicit BEGIN IMMEDIATE … COMMIT rather than db.transaction(), which cannot span the
 * awaits of a backfill; nothing else uses this connection until the writer is returned.
 */
async function migrate(db: Database.Database): Promise<AppliedMigration[]> {
  const connection: MigrationConnection = {
    dialect: sqliteDialect,
    query: async (sql, params = []) => {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    },
  };
  db.exec('BEGIN IMMEDIATE');
  try {
    const applied = await applyMigrations(connection);
    db.exec('COMMIT');
    return applied;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
