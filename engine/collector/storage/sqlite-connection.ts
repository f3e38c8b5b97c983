/** Opening a SQLite connection the way every part of the collector needs it. */
import Database from 'better-sqlite3';
import { sqliteGlob } from './glob-condition.js';
import type { Row } from './rows.js';

export function openSqlite(file: string, options: { readonly?: boolean } = {}): Database.Database {
  const db = new Database(file, options.readonly ? { readonly: true, fileMustExist: true } : {});
  db.pragma('busy_timeout = 5000');
  db.function('telem_glob', { deterministic: true }, sqliteGlob);
  return db;
}

/** Runs statements through a small cache of prepared statements. */
export function statementCache(db: Database.Database): { prepared: (sql: string) => Database.Statement; all: (sql: string, params: readonly unknown[]) => Row[] } {
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
  return { prepared, all: (sql, params) => prepared(sql).all(...params) as Row[] };
}
