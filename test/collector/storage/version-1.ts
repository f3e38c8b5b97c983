/**
 * Databases as a version-1 collector left them (only migration 1 applied), written with the
 * drivers directly, and raw access to look at what a migration made of them.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { firstFrame } from '../../../engine/collector/crash/first-frame.js';
import { DEFAULT_SKIP_RULES, skipList } from '../../../engine/collector/crash/skip-rules.js';
import { INTEGER_FIELDS, type IncomingRecord } from '../../../engine/collector/record/record.js';
import { numberedPlaceholders, postgresDialect, sqliteDialect } from '../../../engine/collector/storage/dialect.js';
import { MIGRATIONS, MIGRATIONS_TABLE, applyMigrations, createMigrationsTable } from '../../../engine/collector/storage/migrations.js';
import { INSERT_COLUMNS, insertValues } from '../../../engine/collector/storage/rows.js';
import { RECORD_HEADERS } from '../../../engine/record/fields.js';
import { UPSTREAM_TID, v2Headers } from '../collector-helpers.js';

type Row = Record<string, unknown>;

export interface RawDatabase {
  /** One statement with "?" placeholders. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** The driver's own connection to a database freshDatabase gave (PostgreSQL: its schema, created if missing). */
export async function rawDatabase(fresh: { database: string; schema?: string }): Promise<RawDatabase> {
  if (fresh.database.startsWith('sqlite:')) {
    const db = new Database(fresh.database.slice('sqlite:'.length));
    return {
      query: async (sql, params = []) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as Row[];
        statement.run(...params);
        return [];
      },
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: fresh.database });
  await client.connect();
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${fresh.schema as string}`);
  await client.query(`SET search_path TO ${fresh.schema as string}`);
  return {
    query: async (sql, params = []) => (await client.query(numberedPlaceholders(sql), [...params])).rows as Row[],
    close: () => client.end(),
  };
}

/**
 * The record a collector stores for postV2(v2Headers(overrides)) with the body "hello\n" (or
 * for v3Body(overrides), protocol "v3"), as received at `receivedAt`.
 */
export function vectorRecord(receivedAt: number, overrides: Record<string, string> = {}, protocol: 'v2' | 'v3' = 'v2'): IncomingRecord {
  const headers = v2Headers(overrides);
  const integer: ReadonlySet<string> = new Set(INTEGER_FIELDS);
  const fields = Object.fromEntries(RECORD_HEADERS.map((name) => [name, integer.has(name) ? Number(headers[name]) : headers[name]]));
  return { ...(fields as unknown as IncomingRecord), received_at: receivedAt, tenant: UPSTREAM_TID, protocol, external: false, payload: 'hello\n' };
}

/** Version 1's columns as it wrote them (payload_sha256: sha256 of the payload, its key's fourth part). */
const V1_COLUMNS = ['received_at', 'tenant', 'protocol', 'external', ...RECORD_HEADERS, 'payload', 'payload_sha256', 'first_frame'];

/**
 * Creates the version-1 schema (migration 1 from the MIGRATIONS list, recorded as applied)
 * holding these records, each as version 1 stored it; payloadSha256 replaces a record's
 * payload digest (to forge rows version 1's key allowed and version 2's does not).
 */
export async function createVersion1Database(fresh: { database: string; schema?: string }, records: readonly (IncomingRecord & { payloadSha256?: string })[]): Promise<void> {
  const sqlite = fresh.database.startsWith('sqlite:');
  const dialect = sqlite ? sqliteDialect : postgresDialect;
  const db = await rawDatabase(fresh);
  try {
    await db.query('BEGIN');
    await db.query(createMigrationsTable(dialect));
    const migration = MIGRATIONS.find((candidate) => candidate.version === 1);
    for (const statement of migration?.statements(dialect) ?? []) await db.query(statement);
    await db.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [1, migration?.name, Date.now()]);
    for (const record of records) {
      const derived: Row = {
        external: sqlite ? Number(record.external) : record.external,
        payload_sha256: record.payloadSha256 ?? createHash('sha256').update(record.payload, 'utf8').digest('hex'),
        first_frame: firstFrame(record.payload),
      };
      const values = V1_COLUMNS.map((column) => (column in derived ? derived[column] : record[column as keyof IncomingRecord]));
      await db.query(`INSERT INTO records (${V1_COLUMNS.join(', ')}) VALUES (${V1_COLUMNS.map(() => '?').join(', ')})`, values);
    }
    await db.query('COMMIT');
  } finally {
    await db.close();
  }
}

/** Column names of the records table. */
export async function recordColumns(db: RawDatabase, backend: 'sqlite' | 'postgres'): Promise<string[]> {
  const rows =
    backend === 'sqlite'
      ? await db.query("SELECT name FROM pragma_table_info('records') ORDER BY cid")
      : await db.query("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'records' ORDER BY ordinal_position");
  return rows.map((row) => row.name as string);
}

/** Index names on the records table. */
export async function recordIndexes(db: RawDatabase, backend: 'sqlite' | 'postgres'): Promise<string[]> {
  const rows =
    backend === 'sqlite'
      ? await db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL ORDER BY name")
      : await db.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'records' AND indexname <> 'records_pkey' ORDER BY indexname");
  return rows.map((row) => row.name as string);
}

/** A database as a collector of schema `version` left it: migrations up to it applied, then `records` inserted as that collector would. */
export async function createDatabaseAt(fresh: { database: string; schema?: string }, version: number, records: readonly IncomingRecord[]): Promise<void> {
  const sqlite = fresh.database.startsWith('sqlite:');
  const db = await rawDatabase(fresh);
  try {
    await db.query('BEGIN');
    await applyMigrations(
      { dialect: sqlite ? sqliteDialect : postgresDialect, query: db.query },
      MIGRATIONS.filter((migration) => migration.version <= version),
    );
    // The columns of today's insert that the schema at `version` has (frames and signature came with 7).
    const existing = new Set(await recordColumns(db, sqlite ? 'sqlite' : 'postgres'));
    const columns = INSERT_COLUMNS.filter((column) => existing.has(column));
    const skip = skipList(DEFAULT_SKIP_RULES.map((rule) => rule.pattern));
    for (const record of records) {
      const values = insertValues(record, (value) => (sqlite ? Number(value) : value), skip);
      await db.query(
        `INSERT INTO records (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        INSERT_COLUMNS.flatMap((column, index) => (existing.has(column) ? [values[index]] : [])),
      );
    }
    await db.query('COMMIT');
  } finally {
    await db.close();
  }
}
