/** Opens the store a database setting names: "sqlite:PATH" or a postgres:// URL. */
import { underRoot } from '../../paths/root.js';
import { POSTGRES_POOL_SIZE, openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { RecordStore } from './store.js';

export interface OpenStoreOptions {
  /** "sqlite:/var/lib/telem/collector.db", "sqlite::memory:" or "postgres://user:pw@host:5432/db". */
  readonly database: string;
  /** Root that absolute SQLite paths resolve under (engine/paths/root.ts). */
  readonly root?: string;
  /** PostgreSQL schema (tests give each run its own). */
  readonly schema?: string;
}

export interface OpenedStore {
  readonly store: RecordStore;
  /** How many insert batches may be written at once. */
  readonly writers: number;
  /** The database without credentials, for logs and messages. */
  readonly description: string;
}

export class DatabaseSettingError extends Error {}

export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const { database } = options;
  if (database.startsWith('sqlite:')) {
    const file = database.slice('sqlite:'.length);
    if (file === '') throw new DatabaseSettingError('"sqlite:" needs a file path, such as sqlite:/var/lib/telem/collector.db');
    const resolved = file === ':memory:' ? file : underRoot(options.root ?? '/', file);
    return { store: openSqliteStore(resolved), writers: 1, description: `sqlite:${resolved}` };
  }
  if (/^postgres(?:ql)?:\/\//.test(database)) {
    const url = new URL(database);
    url.password = url.password ? '***' : '';
    const store = await openPostgresStore(options.schema === undefined ? { url: database } : { url: database, schema: options.schema });
    return { store, writers: POSTGRES_POOL_SIZE, description: url.toString() };
  }
  throw new DatabaseSettingError(`unknown database "${database}": expected "sqlite:PATH" or a "postgres://" URL`);
}
