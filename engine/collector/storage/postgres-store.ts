/**
 * The production backend: PostgreSQL through a pg pool. Many collector processes may share
 * one database: inserts rely on the dedup index (ON CONFLICT DO NOTHING), and migrations run
 * under an advisory lock so collectors starting together apply each migration once.
 */
import pg from 'pg';
import type { IncomingRecord } from '../record.js';
import { numberedPlaceholders, postgresDialect } from './dialect.js';
import { MIGRATIONS, MIGRATIONS_TABLE, createMigrationsTable } from './migrations.js';
import type { Row } from './rows.js';
import { type SqlReader, crashGroups, getRecord, listRecords, recordStats } from './sql-reads.js';
import { type SqlStatement, existingStatement, insertStatement, matchResults, prepareRow, purgeStatements } from './sql-writes.js';
import type { InsertResult, RecordStore } from './store.js';

const INT8_OID = 20;
const MIGRATION_LOCK = 0x74656c6d; // "telm"
/** Connections per collector process; also how many insert batches may be in flight. */
export const POSTGRES_POOL_SIZE = 4;

// Our bigint columns (times, ids, counts) stay below 2^53, so they are read as numbers.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresStoreOptions {
  readonly url: string;
  /** Schema to use (created if missing) instead of the connection's default search path. */
  readonly schema?: string;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<RecordStore> {
  const { schema } = options;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: POSTGRES_POOL_SIZE,
    types,
    // Every connection of the pool starts with the schema first on its search path.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);

  const run = async (client: pg.ClientBase | pg.Pool, statement: SqlStatement): Promise<pg.QueryResult<Row>> =>
    client.query<Row>(numberedPlaceholders(statement.sql), statement.params as unknown[]);
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  try {
    await transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(createMigrationsTable(postgresDialect));
      const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((row) => row.version));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.statements(postgresDialect)) await client.query(statement);
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [migration.version, migration.name, Date.now()]);
      }
    });
  } catch (error) {
    await pool.end();
    throw error;
  }

  const reader: SqlReader = { dialect: postgresDialect, all: async (sql, params) => (await run(pool, { sql, params: [...params] })).rows };
  const identity = (value: boolean) => value;

  return {
    backend: 'postgres',
    async insert(records: readonly IncomingRecord[]): Promise<InsertResult[]> {
      if (records.length === 0) return [];
      const rows = records.map((record) => prepareRow(record, identity));
      // One statement inserts the batch atomically; the lookup afterwards sees rows other collectors committed.
      const inserted = (await run(pool, insertStatement(rows))).rows;
      const lookup = existingStatement(rows, inserted);
      return matchResults(rows, inserted, lookup ? (await run(pool, lookup)).rows : []);
    },
    get: (id) => getRecord(reader, id),
    list: (query) => listRecords(reader, query),
    stats: (query) => recordStats(reader, query),
    crashes: (filter, limit) => crashGroups(reader, filter, limit),
    ping: async () => void (await pool.query('SELECT 1')),
    purge: (plan, now) =>
      transaction(async (client) => {
        let total = 0;
        for (const statement of purgeStatements(plan, now, postgresDialect)) total += (await run(client, statement)).rowCount ?? 0;
        return total;
      }),
    close: () => pool.end(),
  };
}
