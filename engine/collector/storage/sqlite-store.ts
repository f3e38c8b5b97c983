/**
 * The embedded backend: one SQLite file (better-sqlite3) in WAL mode with full sync, so a
 * 201 means the record is on disk. better-sqlite3 is synchronous; batching keeps the number
 * of commits (and fsyncs) low under load.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { IncomingRecord } from '../record.js';
import { sqliteDialect } from './dialect.js';
import { type MigrationConnection, applyMigrations } from './migrations.js';
import type { Row } from './rows.js';
import { sqliteRegexp } from './glob-regex.js';
import { type SqlReader, crashGroups, getRecord, listRecords, recordStats } from './sql-reads.js';
import { existingStatement, insertStatement, matchResults, prepareRow, purgeStatements } from './sql-writes.js';
import type { InsertResult, RecordStore } from './store.js';

const toInteger = (value: boolean) => (value ? 1 : 0);

export async function openSqliteStore(file: string): Promise<RecordStore> {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.function('regexp', { deterministic: true }, sqliteRegexp);
    await migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size > 200) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const all = (sql: string, params: readonly unknown[]) => prepared(sql).all(...params) as Row[];
  const reader: SqlReader = { dialect: sqliteDialect, all: async (sql, params) => all(sql, params) };

  const insertBatch = db.transaction((records: readonly IncomingRecord[]): InsertResult[] => {
    const rows = records.map((record) => prepareRow(record, toInteger));
    const insert = insertStatement(rows);
    const inserted = all(insert.sql, insert.params);
    const lookup = existingStatement(rows, inserted);
    return matchResults(rows, inserted, lookup ? all(lookup.sql, lookup.params) : []);
  });

  const purge = db.transaction((statementsToRun: { sql: string; params: unknown[] }[]) =>
    statementsToRun.reduce((total, statement) => total + prepared(statement.sql).run(...statement.params).changes, 0),
  );

  return {
    backend: 'sqlite',
    insert: async (records) => (records.length === 0 ? [] : insertBatch(records)),
    get: (id) => getRecord(reader, id),
    list: (query) => listRecords(reader, query),
    stats: (query) => recordStats(reader, query),
    crashes: (filter, limit) => crashGroups(reader, filter, limit),
    purge: async (plan, now) => purge(purgeStatements(plan, now, sqliteDialect)),
    close: async () => {
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
