/**
 * The production backend: PostgreSQL through a pg pool. Many collector processes may share
 * one database: inserts rely on the unique record key (record_keys, ON CONFLICT DO NOTHING,
 * then a lookup of the skipped ones: postgres-writes.ts), migrations run under an advisory lock
 * so collectors starting together apply each migration once, and records are partitioned by day
 * of reception, created ahead and dropped whole by retention (partitions.ts).
 */
import pg from 'pg';
import type { IncomingRecord } from '../record/record.js';
import { numberedPlaceholders, postgresDialect } from './dialect.js';
import { fleetUpdate, withStatusOutcomes } from './fleet-sql.js';
import { authSql } from './auth-sql.js';
import { setCrashGroupNote } from './crash-groups-sql.js';
import { rolloutWrites } from './rollout-sql.js';
import { applyMigrations } from './migrations.js';
import type { Row } from './rows.js';
import { DEFAULT_QUERY_TIMEOUT_MS, queryBusy, queryTimeout } from './query-error.js';
import { readOps } from './read-ops.js';
import type { SqlReader } from './sql-reads.js';
import { type SqlStatement, matchResults, prepareRow } from './sql-writes.js';
import { type PartitionConnection, dropExpiredPartitions, ensurePartitions, wholePartitionCutoff } from './partitions.js';
import { partitionedExistingStatement, partitionedInsertStatement, partitionedPurgeStatements, storedRows } from './postgres-writes.js';
import type { AppliedMigration, InsertResult, RecordStore } from './store.js';
import { type CrashRulesBackend, READ_RULES, READ_VERSION, RULES_LOCK, changeCrashRules } from './crash-rules-sql.js';
import { type SkipList, skipList } from '../crash/skip-rules.js';

const INT8_OID = 20;
const MIGRATION_LOCK = 0x74656c6d; // "telm"
/** Connections per collector process; also how many insert batches may be in flight. */
export const POSTGRES_POOL_SIZE = 4;
/** Connections for reads, and how many reads may wait for one. */
const READ_POOL_SIZE = 2;
const MAX_QUEUED_READS = 32;
/** How often each collector creates the partitions ahead (partitions.ts DAYS_AHEAD gives it days of slack). */
export const PARTITION_INTERVAL_MS = 3_600_000;
/** PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';

// Our bigint columns (times, ids, counts) stay below 2^53, so they are read as numbers.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresStoreOptions {
  readonly url: string;
  /** Schema to use (created if missing) instead of the connection's default search path. */
  readonly schema?: string;
  /** Longest a read statement may run. */
  readonly queryTimeoutMs?: number;
  /** The clock partitions are created ahead by (tests set it). */
  readonly now?: () => number;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<RecordStore> {
  const { schema } = options;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const connection = {
    connectionString: options.url,
    types,
    // Every connection of the pool starts with the schema first on its search path.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  };
  const pool = new pg.Pool({ ...connection, max: POSTGRES_POOL_SIZE });
  // Reads have connections of their own, so a heavy query never takes one ingest needs; the
  // server cancels any read statement running longer than the budget (a startup parameter,
  // which a URL's own "options" cannot replace).
  const queryTimeoutMs = Math.max(1, Math.trunc(options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS));
  const readPool = new pg.Pool({ ...connection, max: READ_POOL_SIZE, statement_timeout: queryTimeoutMs });
  readPool.on('error', () => {});
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

  const connectionOf = (client: pg.PoolClient): PartitionConnection => ({ query: async (sql, params = []) => (await run(client, { sql, params: [...params] })).rows });
  const now = options.now ?? Date.now;
  const createAhead = () => transaction((client) => ensurePartitions(connectionOf(client), now()));

  // The skip list of the version last read (crash-rules-sql.ts). Rows are prepared with it before
  // their transaction; the transaction reads the version under RULES_LOCK, and when another
  // collector changed the list meanwhile, reads the new one and prepares the rows again.
  let skip: { version: number; list: SkipList } = { version: -1, list: skipList([]) };
  const skipListOf = async (client: pg.ClientBase, version: number): Promise<{ version: number; list: SkipList }> => {
    if (version !== skip.version) skip = { version, list: skipList((await client.query<Row>(READ_RULES)).rows.map((row) => row.pattern as string)) };
    return skip;
  };
  /** The version of the skip list, read once RULES_LOCK is held shared (one round trip; the read is a statement of its own, so it sees what committed before the lock was granted). */
  const lockedVersion = async (client: pg.ClientBase): Promise<number> => {
    const results = (await client.query(`SELECT pg_advisory_xact_lock_shared(${RULES_LOCK}); ${READ_VERSION}`)) as unknown as pg.QueryResult<Row>[];
    return Number(results[1]?.rows[0]?.version);
  };

  let migrations: readonly AppliedMigration[];
  try {
    migrations = await transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      return applyMigrations({ dialect: postgresDialect, ...connectionOf(client) });
    });
    await createAhead();
    await transaction(async (client) => skipListOf(client, await lockedVersion(client)));
  } catch (error) {
    await Promise.all([pool.end(), readPool.end()]);
    throw error;
  }

  const reader: SqlReader = {
    dialect: postgresDialect,
    async all(sql, params) {
      if (readPool.waitingCount >= MAX_QUEUED_READS) throw queryBusy();
      try {
        return (await run(readPool, { sql, params: [...params] })).rows;
      } catch (error) {
        if ((error as { code?: string }).code === QUERY_CANCELED) throw queryTimeout(queryTimeoutMs);
        throw error;
      }
    },
  };
  const writer = {
    dialect: postgresDialect,
    all: async (sql: string, params: readonly unknown[]) => (await run(pool, { sql, params: [...params] })).rows,
    run: async (sql: string, params: readonly unknown[]) => (await run(pool, { sql, params: [...params] })).rowCount ?? 0,
  };
  const identity = (value: boolean) => value;
  // A failure here is no loss: records of a day without its partition wait in the default one, and
  // the next retention purge, which logs its failures, creates the partitions too.
  const partitionTimer = setInterval(() => void createAhead().catch(() => {}), PARTITION_INTERVAL_MS).unref();

  const crashRules: CrashRulesBackend = {
    change: (statements) =>
      transaction(async (client) => {
        // Waits for the inserts and regroup batches holding it shared, on every collector.
        await client.query('SELECT pg_advisory_xact_lock($1)', [RULES_LOCK]);
        const results: Row[][] = [];
        for (const statement of statements) results.push((await run(client, statement)).rows);
        return results;
      }),
    batch: (work) =>
      transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock_shared($1)', [RULES_LOCK]);
        return work({
          all: async (sql, params) => (await run(client, { sql, params: [...params] })).rows,
          run: async (sql, params) => (await run(client, { sql, params: [...params] })).rowCount,
        });
      }),
  };

  return {
    backend: 'postgres',
    migrations,
    async insert(records: readonly IncomingRecord[]): Promise<InsertResult[]> {
      if (records.length === 0) return [];
      let prepared = skip;
      let rows = records.map((record) => prepareRow(record, identity, prepared.list));
      // One transaction stores the batch (one statement for all its records) and updates the fleet
      // table from its status records. Each statement sees what other collectors committed before
      // it began, so the lookup finds their rows.
      return transaction(async (client) => {
        const version = await lockedVersion(client);
        if (version !== prepared.version) {
          prepared = await skipListOf(client, version);
          rows = records.map((record) => prepareRow(record, identity, prepared.list));
        }
        const inserted = storedRows(rows, (await run(client, partitionedInsertStatement(rows))).rows);
        const lookup = partitionedExistingStatement(rows, inserted);
        const results = matchResults(rows, inserted, lookup ? (await run(client, lookup)).rows : []);
        const fleet = fleetUpdate(inserted);
        if (fleet.statement) await run(client, fleet.statement);
        for (const statement of fleet.rollouts) await run(client, statement);
        return withStatusOutcomes(results, fleet);
      });
    },
    ...readOps(reader),
    replaceCrashRules: (rules, at) => changeCrashRules(crashRules, rules, at),
    ...rolloutWrites(writer),
    auth: authSql(writer),
    setCrashGroupNote: (signature, change, at) => setCrashGroupNote(writer, signature, change, at),
    ping: async () => void (await pool.query('SELECT 1')),
    async purge(plan, at) {
      // The partitions ahead first: a retention schedule is also a chance to catch up on them.
      await createAhead();
      return transaction(async (client) => {
        const cutoff = wholePartitionCutoff(plan, at);
        let total = cutoff === null ? 0 : await dropExpiredPartitions(connectionOf(client), cutoff);
        for (const statement of partitionedPurgeStatements(plan, at, postgresDialect)) total += Number((await run(client, statement)).rows[0]?.count ?? 0);
        return total;
      });
    },
    close: async () => {
      clearInterval(partitionTimer);
      await Promise.all([pool.end(), readPool.end()]);
    },
  };
}
