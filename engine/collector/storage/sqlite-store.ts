/**
 * The embedded backend: one SQLite file (better-sqlite3) in WAL mode with full sync, so a 201
 * means the record is on disk. better-sqlite3 is synchronous, so its writes run on a writer thread
 * (storage/write-thread.ts) and its reads on reader threads (storage/read-pool.ts): the main thread
 * only receives, parses and validates, and no commit, query or export holds it up. A ":memory:"
 * database exists on one connection only, so it is read and written on the main thread.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { IncomingRecord } from '../record/record.js';
import { sqliteDialect } from './dialect.js';
import { DEFAULT_QUERY_TIMEOUT_MS } from './query-error.js';
import { ReadPool } from './read-pool.js';
import { readOps } from './read-ops.js';
import type { Row } from './rows.js';
import { authSql } from './auth-sql.js';
import { setCrashGroupNote } from './crash-groups-sql.js';
import { rolloutWrites } from './rollout-sql.js';
import { type InsertOutcome, openSqliteWriter, toInsertResult } from './sqlite-writer.js';
import type { AppliedMigration, InsertResult, PurgePlan, RecordStore } from './store.js';
import { type CrashRulesBackend, changeCrashRules } from './crash-rules-sql.js';
import type { SqlStatement } from './sql-writes.js';
import { WriteThread } from './write-thread.js';

export interface SqliteStoreOptions {
  /** Longest a read may run (reads run on worker threads, except for ":memory:"). */
  readonly queryTimeoutMs?: number;
}

/** Reader threads: two share the second core with the writer thread. */
const READ_WORKERS = 2;
const MAX_QUEUED_READS = 32;

/** The store's writes, wherever they run. */
interface Writes {
  insert(records: readonly IncomingRecord[]): Promise<InsertOutcome[]>;
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
  transaction(statements: readonly SqlStatement[]): Promise<Row[][]>;
  purge(plan: PurgePlan, now: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store of an open SQLite file, with its writer thread (for tests that end it as a crash would). */
export interface SqliteStore extends RecordStore {
  readonly writeThread: WriteThread | null;
}

export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const inMemory = file === ':memory:';
  if (!inMemory) mkdirSync(path.dirname(file), { recursive: true });
  const thread = inMemory ? null : new WriteThread(file);
  let writes: Writes;
  let migrations: readonly AppliedMigration[];
  if (thread) {
    try {
      migrations = await thread.start();
    } catch (error) {
      await thread.close();
      throw error;
    }
    writes = {
      insert: (records) => thread.call({ op: 'insert', args: [records] }),
      all: (sql, params) => thread.call({ op: 'all', args: [sql, params] }),
      run: (sql, params) => thread.call({ op: 'run', args: [sql, params] }),
      transaction: (statements) => thread.call({ op: 'transaction', args: [statements] }),
      purge: (plan, now) => thread.call({ op: 'purge', args: [plan, now] }),
      ping: () => thread.call({ op: 'ping', args: [] }),
      close: () => thread.close(),
    };
  } else {
    const writer = await openSqliteWriter(file);
    migrations = writer.migrations;
    writes = {
      insert: async (records) => writer.insert(records),
      all: async (sql, params) => writer.all(sql, params),
      run: async (sql, params) => writer.run(sql, params),
      transaction: async (statements) => writer.transaction(statements),
      purge: async (plan, now) => writer.purge(plan, now),
      ping: async () => writer.ping(),
      close: async () => void writer.db.close(),
    };
  }

  const pool = inMemory ? null : new ReadPool({ file, workers: READ_WORKERS, timeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, maxQueued: MAX_QUEUED_READS });
  const reads = pool ? pool.ops() : readOps({ dialect: sqliteDialect, all: writes.all });

  // One collector writes a SQLite file and its writer thread runs one call at a time, so changes of
  // the skip list are serialised here, each with its whole regroup; the batches need no lock.
  const crashRules: CrashRulesBackend = {
    change: (statements) => writes.transaction(statements),
    batch: (work) => work({ all: writes.all, run: writes.run }),
  };
  let changing: Promise<unknown> = Promise.resolve();

  return {
    backend: 'sqlite',
    migrations,
    writeThread: thread,
    insert: async (records): Promise<InsertResult[]> => {
      if (records.length === 0) return [];
      const outcomes = await writes.insert(records);
      return outcomes.map((outcome, index) => toInsertResult(records[index] as IncomingRecord, outcome));
    },
    ...reads,
    replaceCrashRules(rules, now) {
      const change = changing.then(() => changeCrashRules(crashRules, rules, now));
      changing = change.catch(() => undefined);
      return change;
    },
    ...rolloutWrites({ dialect: sqliteDialect, all: writes.all, run: writes.run }),
    // On the writer thread: a login is checked against what was just written (a revoke takes effect at
    // once), and a heavy query holding both reader threads does not keep anyone from logging in.
    auth: authSql({ dialect: sqliteDialect, all: writes.all, run: writes.run }),
    setCrashGroupNote: (signature, change, now) => setCrashGroupNote({ dialect: sqliteDialect, all: writes.all, run: writes.run }, signature, change, now),
    ping: writes.ping,
    purge: writes.purge,
    close: async () => {
      await pool?.close();
      await writes.close();
    },
  };
}
