/** Opens the store a database setting names: "sqlite:PATH" or a postgres:// URL. */
import { underRoot } from '../../paths/root.js';
import { TelemError } from '../../errors/telem-error.js';
import { takeLock } from '../../spool/dir-lock.js';
import { importOptional } from '../../load/optional-package.js';
import type { RecordStore } from './store.js';

export interface OpenStoreOptions {
  /** "sqlite:/var/lib/telem/collector.db", "sqlite::memory:" or "postgres://user:pw@host:5432/db". */
  readonly database: string;
  /** Root that absolute SQLite paths resolve under (engine/paths/root.ts). */
  readonly root?: string;
  /** PostgreSQL schema (tests give each run its own). */
  readonly schema?: string;
  /** Longest a read may run (collector.query_timeout). */
  readonly queryTimeoutMs?: number;
  /**
   * A short command writing a row or two beside a running collector (`telem collector token`): a
   * SQLite file is opened without taking its lock, which keeps a second collector off it.
   */
  readonly shared?: boolean;
}

export interface OpenedStore {
  readonly store: RecordStore;
  /** How many insert batches may be written at once. */
  readonly writers: number;
  /** The database without credentials, for logs and messages. */
  readonly description: string;
}

/** The database setting without its password, for messages and logs. */
export function describeDatabase(database: string): string {
  if (!/^postgres(?:ql)?:\/\//.test(database)) return database;
  try {
    const url = new URL(database);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const { database } = options;
  if (database.startsWith('sqlite:')) {
    const file = database.slice('sqlite:'.length);
    if (file === '') throw new TelemError('database-setting', '"sqlite:" needs a file path, such as sqlite:/var/lib/telem/collector.db');
    const resolved = file === ':memory:' ? file : underRoot(options.root ?? '/', file);
    // One collector per SQLite file: a second one would share its writes without sharing its batching.
    const lock = resolved === ':memory:' || options.shared === true ? null : takeLock(`${resolved}.lock`, `the database sqlite:${resolved}`);
    try {
      const { openSqliteStore } = await importOptional('better-sqlite3', 'a sqlite: database', () => import('./sqlite-store.js'));
      const opened = await openSqliteStore(resolved, options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs });
      const store: RecordStore = {
        ...opened,
        async close() {
          await opened.close();
          lock?.release();
        },
      };
      return { store, writers: 1, description: `sqlite:${resolved}` };
    } catch (error) {
      lock?.release();
      if (error instanceof TelemError) throw error;
      throw new TelemError('database-unavailable', `cannot open sqlite:${resolved}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (/^postgres(?:ql)?:\/\//.test(database)) {
    try {
      const { POSTGRES_POOL_SIZE, openPostgresStore } = await importOptional('pg', 'a postgres:// database', () => import('./postgres-store.js'));
      const store = await openPostgresStore({
        url: database,
        ...(options.schema === undefined ? {} : { schema: options.schema }),
        ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
      });
      return { store, writers: POSTGRES_POOL_SIZE, description: describeDatabase(database) };
    } catch (error) {
      if (error instanceof TelemError) throw error;
      throw new TelemError('database-unavailable', `cannot open ${describeDatabase(database)}: ${(error as Error).message}`, { cause: error });
    }
  }
  throw new TelemError('database-setting', `unknown database "${database}": expected "sqlite:PATH" or a "postgres://" URL`);
}
