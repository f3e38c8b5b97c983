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
import { MIGRATIONS, MIGRATIONS_TABLE, createMigrationsTable } from './migrations.js';
import type { Row } from './rows.js';
import { sqliteRegexp } from './glob-regex.js';
import { type SqlReader, crashGroups, getRecord, listRecords, recordStats } from './sql-reads.js';
import { existingStatement, insertStatement, matchResults, prepareRow, purgeStatements } from './sql-writes.js';
import type { InsertResult, RecordStore } from './store.js';

const toInteger = (value: boolean) => (value ? 1 : 0);

export function openSqliteStore(file: string): RecordStore {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.function('regexp', { deterministic: true }, sqliteRegexp);
  migrate(db);

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
    // A table read, not "SELECT 1": it needs the file and its lock, as every query does.
    ping: async () => void prepared(`SELECT version FROM ${MIGRATIONS_TABLE} LIMIT 1`).get(),
    purge: async (plan, now) => purge(purgeStatements(plan, now, sqliteDialect)),
    close: async () => {
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(createMigrationsTable(sqliteDialect));
    const applied = new Set((db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).all() as { version: number }[]).map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements(sqliteDialect)) db.exec(statement);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`).run(migration.version, migration.name, Date.now());
    }
  }).immediate();
}
