/**
 * The embedded backend: one SQLite file (better-sqlite3) in WAL mode with full sync, so a
 * 201 means the record is on disk. better-sqlite3 is synchronous; batching keeps the number
 * of commits (and fsyncs) low under load. Reads run on reader threads (storage/read-pool.ts),
 * so no query or export holds up ingest.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { IncomingRecord } from '../record/record.js';
import { sqliteDialect } from './dialect.js';
import { MIGRATIONS_TABLE, type MigrationConnection, applyMigrations } from './migrations.js';
import { DEFAULT_QUERY_TIMEOUT_MS } from './query-error.js';
import { ReadPool } from './read-pool.js';
import { type ReadOps, readOps } from './read-ops.js';
import type { Row } from './rows.js';
import { openSqlite, statementCache } from './sqlite-connection.js';
import { fleetUpdate, withStatusOutcomes } from './fleet-sql.js';
import { rolloutWrites } from './rollout-sql.js';
import { existingStatement, insertStatement, matchResults, prepareRow, purgeStatements } from './sql-writes.js';
import type { InsertResult, RecordStore } from './store.js';

const toInteger = (value: boolean) => (value ? 1 : 0);

export interface SqliteStoreOptions {
  /** Longest a read may run (reads run on worker threads, except for ":memory:"). */
  readonly queryTimeoutMs?: number;
}

/** Reader threads: ingest keeps the main thread; two readers share the second core. */
const READ_WORKERS = 2;
const MAX_QUEUED_READS = 32;

export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<RecordStore> {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = openSqlite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    await migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const { prepared, all } = statementCache(db);
  // A ":memory:" database exists only on this connection, so its reads stay here.
  const pool = file === ':memory:' ? null : new ReadPool({ file, workers: READ_WORKERS, timeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, maxQueued: MAX_QUEUED_READS });
  const reads: ReadOps = pool ? pool.ops() : readOps({ dialect: sqliteDialect, all: async (sql, params) => all(sql, params) });

  const insertBatch = db.transaction((records: readonly IncomingRecord[]): InsertResult[] => {
    const rows = records.map((record) => prepareRow(record, toInteger));
    const insert = insertStatement(rows);
    const inserted = all(insert.sql, insert.params);
    const lookup = existingStatement(rows, inserted);
    const results = matchResults(rows, inserted, lookup ? all(lookup.sql, lookup.params) : []);
    // The latest status per machine, in the same transaction as the records it comes from.
    const fleet = fleetUpdate(inserted);
    if (fleet.statement) prepared(fleet.statement.sql).run(...fleet.statement.params);
    for (const statement of fleet.rollouts) prepared(statement.sql).run(...statement.params);
    return withStatusOutcomes(results, fleet);
  });

  const purge = db.transaction((statementsToRun: { sql: string; params: unknown[] }[]) =>
    statementsToRun.reduce((total, statement) => total + prepared(statement.sql).run(...statement.params).changes, 0),
  );

  return {
    backend: 'sqlite',
    insert: async (records) => (records.length === 0 ? [] : insertBatch(records)),
    ...reads,
    ...rolloutWrites({
      dialect: sqliteDialect,
      all: async (sql, params) => all(sql, params),
      run: async (sql, params) => prepared(sql).run(...params).changes,
    }),
    // A table read, not "SELECT 1": it needs the file and its lock, as every query does.
    ping: async () => void prepared(`SELECT version FROM ${MIGRATIONS_TABLE} LIMIT 1`).get(),
    purge: async (plan, now) => purge(purgeStatements(plan, now, sqliteDialect)),
    close: async () => {
      await pool?.close();
      db.close();
    },
  };
}

/**
 * One explicit BEGIN IMMEDIATE … COMMIT rather than db.transaction(), which cannot span the
 * awaits of a backfill; nothing else uses this connection until the store is returned.
 */
async function migrate(db: Database.Database): Promise<void> {
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
    await applyMigrations(connection);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
