/**
 * The database schema, one numbered migration at a time, written once for both backends.
 * A migration is never edited after release; changes come as a new number.
 *
 * Each store runs applyMigrations in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL:
 * under an advisory lock), so a migration that fails leaves the database as it was.
 */
import { RECORD_HEADERS } from '../../record/fields.js';
import { STATUS_CLASSIFICATION } from '../fleet/states.js';
import { type ColumnType, type Dialect, PAYLOAD_WORDS } from './dialect.js';
import { RULES_STATE_TABLE, SKIP_RULES_TABLE, backfillCrashSignatures } from './crash-rules-sql.js';
import { FLEET_TABLE, fleetUpdate } from './fleet-sql.js';
import { partitionIndexes, partitionRows, partitionStatements } from './partition-migration.js';
import { NOTES_TABLE, NOTE_COLUMNS } from './crash-groups-sql.js';
import { API_SESSIONS, API_TOKENS, SESSION_COLUMNS, TOKEN_COLUMNS } from './auth-sql.js';
import { ROLLOUT_COUNTERS, ROLLOUT_HALTS, ROLLOUT_MACHINES } from './rollout-sql.js';
import { type Row, recordDigest } from './rows.js';
import type { SqlStatement } from './sql-writes.js';
import type { AppliedMigration } from './store.js';

/** What a migration's backfill may do: run statements inside the migration's transaction. */
export interface MigrationConnection {
  readonly dialect: Dialect;
  /** Runs one statement with "?" placeholders; its rows ([] for a statement returning none). */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Schema statements, run first. */
  statements(dialect: Dialect): string[];
  /** Rewrites existing rows after the statements, for values SQL cannot compute (a digest on SQLite); may say what it did, for the log. */
  backfill?(connection: MigrationConnection): Promise<string | void>;
  /** Statements run after the backfill: the constraints the backfilled rows now meet. */
  finish?(dialect: Dialect): string[];
}

export const MIGRATIONS_TABLE = 'telem_schema_migrations';

function createTable(dialect: Dialect, table: string, columns: readonly (readonly [string, ColumnType, 'null'?])[]): string {
  const lines = columns.map(([name, type, nullable]) => {
    const sqlType = dialect.columnType(type);
    return `  ${name} ${sqlType}${type === 'id' || nullable ? '' : ' NOT NULL'}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(',\n')}\n)`;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records with dedup key and query indexes',
    statements: (dialect) => [
      createTable(dialect, 'records', [
        ['id', 'id'],
        ['received_at', 'bigint'],
        ['tenant', 'text'],
        ['protocol', 'text'],
        ['external', 'bool'],
        ['record_format_version', 'int'],
        ['classification', 'text'],
        ['severity', 'int'],
        ['machine_id', 'text'],
        ['creation_timestamp', 'bigint'],
        ['arch', 'text'],
        ['host_type', 'text'],
        ['build', 'text'],
        ['kernel_version', 'text'],
        ['payload_format_version', 'int'],
        ['system_name', 'text'],
        ['board_name', 'text'],
        ['cpu_model', 'text'],
        ['bios_version', 'text'],
        ['event_id', 'text'],
        ['payload', 'text'],
        ['payload_sha256', 'text'],
        ['first_frame', 'text', 'null'],
      ]),
      // A retransmitted record (same machine, event, creation time and payload) is stored once.
      'CREATE UNIQUE INDEX IF NOT EXISTS records_dedup ON records (machine_id, event_id, creation_timestamp, payload_sha256)',
      // Every filter of the query API and UI walks newest-first by id within its column.
      'CREATE INDEX IF NOT EXISTS records_received_at ON records (received_at)',
      'CREATE INDEX IF NOT EXISTS records_classification ON records (classification, id)',
      'CREATE INDEX IF NOT EXISTS records_severity ON records (severity, id)',
      'CREATE INDEX IF NOT EXISTS records_machine_id ON records (machine_id, id)',
      'CREATE INDEX IF NOT EXISTS records_build ON records (build, id)',
      'CREATE INDEX IF NOT EXISTS records_system_name ON records (system_name, id)',
      'CREATE INDEX IF NOT EXISTS records_event_id ON records (event_id)',
      'CREATE INDEX IF NOT EXISTS records_first_frame ON records (first_frame, id)',
    ],
  },
  {
    // Version 1 keyed records on machine, event id, creation time and payload only, so the records
    // of one event (which share the event id) differing in classification, severity or another header
    // were taken for retransmissions of the first one. The key is now every field of the record.
    version: 2,
    name: 'records keyed on tenant, every header and payload (record_sha256)',
    statements: () => [
      'DROP INDEX IF EXISTS records_dedup',
      // Only records_dedup used it; SQLite cannot drop a column that an index still names.
      'ALTER TABLE records DROP COLUMN payload_sha256',
      // Nullable until backfilled (neither backend adds a NOT NULL column without a default to a table with rows).
      'ALTER TABLE records ADD COLUMN record_sha256 TEXT',
    ],
    backfill: backfillRecordDigests,
    finish: (dialect) => [
      // SQLite cannot add NOT NULL to an existing column; there the backfill checks it and the store always writes it.
      ...(dialect.name === 'postgres' ? ['ALTER TABLE records ALTER COLUMN record_sha256 SET NOT NULL'] : []),
      // Fails (and so does the migration) if two stored rows were equal in every field, rather than merging them.
      'CREATE UNIQUE INDEX records_record_sha256 ON records (record_sha256)',
    ],
  },
  {
    // Classification patterns become "classification LIKE 'prefix%'" on PostgreSQL, which an
    // index in the database's collation cannot serve; one in byte order can. SQLite's
    // range test already uses records_classification.
    version: 3,
    name: 'classification prefix index (PostgreSQL)',
    statements: (dialect) => (dialect.name === 'postgres' ? ['CREATE INDEX IF NOT EXISTS records_classification_prefix ON records (classification text_pattern_ops)'] : []),
  },
  {
    // The latest status record (org.telem/agent/status) of each machine, for GET /api/fleet; the
    // store updates it with every batch (storage/fleet-sql.ts). Filled from the status records
    // already stored.
    version: 4,
    name: 'fleet_status: the latest agent status per machine',
    statements: (dialect) => [
      createTable(dialect, FLEET_TABLE, [
        ['tenant', 'text'],
        ['machine_id', 'text'],
        ['channel', 'text'],
        ['active', 'bigint', 'null'],
        ['previous', 'bigint', 'null'],
        ['desired', 'bigint', 'null'],
        ['state', 'text'],
        ['last_failed_sequence', 'bigint', 'null'],
        ['last_failed_reason', 'text', 'null'],
        ['agent_version', 'text'],
        ['creation_timestamp', 'bigint'],
        ['received_at', 'bigint'],
        ['record_id', 'bigint'],
      ]),
      `CREATE UNIQUE INDEX IF NOT EXISTS ${FLEET_TABLE}_machine ON ${FLEET_TABLE} (tenant, machine_id)`,
      `CREATE INDEX IF NOT EXISTS ${FLEET_TABLE}_channel ON ${FLEET_TABLE} (channel, active)`,
    ],
    backfill: (connection) => backfillStatuses(connection, (rows) => [fleetUpdate(rows).statement]),
  },
  {
    // Staged rollouts (docs/rollout.md, storage/rollout-sql.ts): per machine and rollout the latest
    // rollout fields, per machine, rollout and arm the summed counters, per channel and rollout the
    // halt. Filled from the status records already stored.
    version: 5,
    name: 'fleet_rollout_*: staged rollouts per machine, arm counters, halts',
    statements: (dialect) => [
      createTable(dialect, ROLLOUT_MACHINES, [
        ['tenant', 'text'],
        ['machine_id', 'text'],
        ['rollout_id', 'text'],
        ['channel', 'text'],
        ['sequence', 'bigint'],
        ['arm', 'text'],
        ['step', 'int', 'null'],
        ['state', 'text'],
        ['gate_name', 'text', 'null'],
        ['gate_value', 'real', 'null'],
        ['gate_threshold', 'real', 'null'],
        ['spec', 'text'],
        ['creation_timestamp', 'bigint'],
        ['received_at', 'bigint'],
        ['record_id', 'bigint'],
        ['state_since', 'bigint'],
      ]),
      `CREATE UNIQUE INDEX IF NOT EXISTS ${ROLLOUT_MACHINES}_machine ON ${ROLLOUT_MACHINES} (tenant, machine_id, rollout_id)`,
      `CREATE INDEX IF NOT EXISTS ${ROLLOUT_MACHINES}_rollout ON ${ROLLOUT_MACHINES} (channel, rollout_id)`,
      createTable(dialect, ROLLOUT_COUNTERS, [
        ['tenant', 'text'],
        ['machine_id', 'text'],
        ['rollout_id', 'text'],
        ['arm', 'text'],
        ['channel', 'text'],
        ['accepted', 'bigint'],
        ['delivered', 'bigint'],
        ['failed', 'bigint'],
        ['dropped', 'bigint'],
      ]),
      `CREATE UNIQUE INDEX IF NOT EXISTS ${ROLLOUT_COUNTERS}_machine ON ${ROLLOUT_COUNTERS} (tenant, machine_id, rollout_id, arm)`,
      `CREATE INDEX IF NOT EXISTS ${ROLLOUT_COUNTERS}_rollout ON ${ROLLOUT_COUNTERS} (channel, rollout_id)`,
      createTable(dialect, ROLLOUT_HALTS, [
        ['channel', 'text'],
        ['rollout_id', 'text'],
        ['halted', 'int'],
        ['reason', 'text', 'null'],
        ['halted_at', 'bigint', 'null'],
        ['halted_by', 'text', 'null'],
        ['resumed_at', 'bigint', 'null'],
        ['resumed_by', 'text', 'null'],
        ['baseline', 'text', 'null'],
      ]),
      `CREATE UNIQUE INDEX IF NOT EXISTS ${ROLLOUT_HALTS}_rollout ON ${ROLLOUT_HALTS} (channel, rollout_id)`,
    ],
    backfill: (connection) => backfillStatuses(connection, (rows) => fleetUpdate(rows).rollouts),
  },
  {
    // Fleet scale on PostgreSQL (docs/collector.md): records partitioned by day of reception, so
    // retention drops whole partitions, and the exactly-once key in a table of its own, since a
    // unique index on a partitioned table must contain the partition key and a record sent again
    // a day later has another received_at (storage/partitions.ts, partition-migration.ts,
    // postgres-writes.ts). SQLite keeps its one table.
    version: 6,
    name: 'records partitioned by day of reception, exactly-once keys in record_keys (PostgreSQL)',
    statements: (dialect) => (dialect.name === 'postgres' ? partitionStatements() : []),
    backfill: (connection) => (connection.dialect.name === 'postgres' ? partitionRows(connection) : Promise.resolve()),
    finish: (dialect) => (dialect.name === 'postgres' ? partitionIndexes() : []),
  },
  {
    // Full-text search over payloads (GET /api/records?q=…): on SQLite an FTS5 index kept by
    // triggers (retention deletes go through them too), on PostgreSQL a GIN index over the
    // payload's words ('simple': no stemming, so identifiers such as parse_config match as
    // written), built on every day partition. Machine ids match by prefix: on PostgreSQL that
    // needs an index in byte order (the database's collation cannot serve LIKE 'x%').
    version: 7,
    name: 'payload full-text search, machine id prefixes',
    statements: (dialect) => (dialect.name === 'postgres' ? postgresSearchIndexes() : sqliteSearchIndex()),
  },
  {
    // Crash groups by signature rather than by first frame (storage/crash-rules-sql.ts): each record's
    // crashing-thread frames and its signature, the skip list with its version, filled from the crash
    // records already stored. On PostgreSQL, ALTER and CREATE INDEX on the partitioned table apply to
    // every partition.
    version: 8,
    name: 'crash signatures: records.frames and records.signature, crash_skip_rules with its version',
    statements: (dialect) => [
      'ALTER TABLE records ADD COLUMN frames TEXT',
      'ALTER TABLE records ADD COLUMN signature TEXT',
      createTable(dialect, SKIP_RULES_TABLE, [
        ['position', 'int'],
        ['pattern', 'text'],
        ['note', 'text', 'null'],
        ['created_at', 'bigint'],
      ]),
      `CREATE UNIQUE INDEX ${SKIP_RULES_TABLE}_pattern ON ${SKIP_RULES_TABLE} (pattern)`,
      createTable(dialect, RULES_STATE_TABLE, [
        ['version', 'bigint'],
        ['changed_at', 'bigint'],
      ]),
    ],
    backfill: (connection) => backfillCrashSignatures(connection),
    finish: () => [
      // The crash view filters by signature; a regroup walks the records with frames by id. Both
      // partial: most records are no crash, and an index entry for each would slow every insert.
      'CREATE INDEX records_signature ON records (signature, id) WHERE signature IS NOT NULL',
      'CREATE INDEX records_frames ON records (id) WHERE frames IS NOT NULL',
    ],
  },
  {
    // Logins for the read side (docs/collector.md, storage/auth-sql.ts): API tokens by role and the
    // browser sessions opened with them, each stored as the SHA-256 digest of its secret. A name is
    // unique among the tokens not revoked, so a revoked name can be given to a new token.
    version: 9,
    name: 'api_tokens and api_sessions: logins for the web UI and query API',
    statements: (dialect) => [
      createTable(dialect, API_TOKENS, TOKEN_COLUMNS),
      `CREATE UNIQUE INDEX IF NOT EXISTS ${API_TOKENS}_digest ON ${API_TOKENS} (digest)`,
      `CREATE UNIQUE INDEX IF NOT EXISTS ${API_TOKENS}_active_name ON ${API_TOKENS} (name) WHERE revoked_at IS NULL`,
      createTable(dialect, API_SESSIONS, SESSION_COLUMNS),
      `CREATE UNIQUE INDEX IF NOT EXISTS ${API_SESSIONS}_digest ON ${API_SESSIONS} (digest)`,
      `CREATE INDEX IF NOT EXISTS ${API_SESSIONS}_token ON ${API_SESSIONS} (token_id)`,
      `CREATE INDEX IF NOT EXISTS ${API_SESSIONS}_expires ON ${API_SESSIONS} (expires_at)`,
    ],
  },
  {
    // An operator's comment and hide switch per crash group (storage/crash-groups-sql.ts), set with
    // PUT /api/crash-groups/<signature>. Keyed by the signature's text: one row per group that has a
    // note, looked up by signature only, so the unique index is all it needs.
    version: 10,
    name: 'crash_group_notes: a comment and a hide switch per crash signature',
    statements: (dialect) => [createTable(dialect, NOTES_TABLE, NOTE_COLUMNS), `CREATE UNIQUE INDEX IF NOT EXISTS ${NOTES_TABLE}_signature ON ${NOTES_TABLE} (signature)`],
  },
];

function sqliteSearchIndex(): string[] {
  return [
    "CREATE VIRTUAL TABLE records_search USING fts5(payload, content='records', content_rowid='id')",
    'CREATE TRIGGER records_search_insert AFTER INSERT ON records BEGIN INSERT INTO records_search (rowid, payload) VALUES (new.id, new.payload); END',
    "CREATE TRIGGER records_search_delete AFTER DELETE ON records BEGIN INSERT INTO records_search (records_search, rowid, payload) VALUES ('delete', old.id, old.payload); END",
    "CREATE TRIGGER records_search_update AFTER UPDATE OF payload ON records BEGIN INSERT INTO records_search (records_search, rowid, payload) VALUES ('delete', old.id, old.payload); INSERT INTO records_search (rowid, payload) VALUES (new.id, new.payload); END",
    // The records stored before this migration.
    "INSERT INTO records_search (records_search) VALUES ('rebuild')",
  ];
}

function postgresSearchIndexes(): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS records_payload_search ON records USING gin (${PAYLOAD_WORDS})`,
    'CREATE INDEX IF NOT EXISTS records_machine_id_prefix ON records (machine_id text_pattern_ops)',
  ];
}

/** Rows read and updated per statement by backfills. */
export const BACKFILL_BATCH = 500;

/** Fills record_sha256 (rows.ts recordDigest) for every stored row, walking ids upwards in batches. */
async function backfillRecordDigests(connection: MigrationConnection): Promise<void> {
  const select = `SELECT id, tenant, ${RECORD_HEADERS.join(', ')}, payload FROM records WHERE id > ? ORDER BY id LIMIT ${BACKFILL_BATCH}`;
  for (let after = 0; ;) {
    const rows = await connection.query(select, [after]);
    if (rows.length === 0) break;
    const ids = rows.map((row) => Number(row.id));
    const params: unknown[] = rows.flatMap((row, index) => [ids[index], recordDigest(row)]);
    const updated = await connection.query(
      `UPDATE records SET record_sha256 = CASE id ${rows.map(() => 'WHEN ? THEN ?').join(' ')} END ` + `WHERE id IN (${ids.map(() => '?').join(', ')}) RETURNING id`,
      [...params, ...ids],
    );
    if (updated.length !== rows.length) throw new Error(`record_sha256 backfill updated ${updated.length} of ${rows.length} rows after id ${after}`);
    after = ids.at(-1) as number;
  }
  const [missing] = await connection.query('SELECT COUNT(*) AS count FROM records WHERE record_sha256 IS NULL');
  if (Number(missing?.count) !== 0) throw new Error(`record_sha256 backfill left ${String(missing?.count)} rows without a digest`);
  // The unique index would refuse them too; this names the rows.
  const [equal] = await connection.query('SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS count FROM records GROUP BY record_sha256 HAVING COUNT(*) > 1 LIMIT 1');
  if (equal) {
    throw new Error(
      `${String(equal.count)} stored records (ids ${String(equal.first)} to ${String(equal.last)} among them) are equal in tenant, every header and payload; ` +
        'the unique record key cannot be created until all but one are deleted',
    );
  }
}

/** Puts the status records already stored through the store's own fleet update, oldest id first. */
async function backfillStatuses(connection: MigrationConnection, statements: (rows: Row[]) => readonly (SqlStatement | null)[]): Promise<void> {
  const select = `SELECT * FROM records WHERE classification = ? AND id > ? ORDER BY id LIMIT ${BACKFILL_BATCH}`;
  for (let after = 0; ;) {
    const rows = await connection.query(select, [STATUS_CLASSIFICATION, after]);
    if (rows.length === 0) break;
    for (const statement of statements(rows)) if (statement) await connection.query(statement.sql, statement.params);
    after = Number(rows.at(-1)?.id);
  }
}

/**
 * Applies, in order, the migrations the database has not recorded yet. The caller holds the
 * transaction; an error names the migration that failed.
 */
export async function applyMigrations(connection: MigrationConnection, migrations: readonly Migration[] = MIGRATIONS): Promise<AppliedMigration[]> {
  const { dialect } = connection;
  await connection.query(createMigrationsTable(dialect));
  const applied = new Set((await connection.query(`SELECT version FROM ${MIGRATIONS_TABLE}`)).map((row) => Number(row.version)));
  const done: AppliedMigration[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    const started = Date.now();
    let note: string | void;
    try {
      for (const statement of migration.statements(dialect)) await connection.query(statement);
      note = await migration.backfill?.(connection);
      for (const statement of migration.finish?.(dialect) ?? []) await connection.query(statement);
    } catch (error) {
      throw new Error(`migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
    }
    await connection.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [migration.version, migration.name, Date.now()]);
    done.push({ version: migration.version, name: migration.name, ...(typeof note === 'string' ? { note } : {}), ms: Date.now() - started });
  }
  return done;
}

export function createMigrationsTable(dialect: Dialect): string {
  return createTable(dialect, MIGRATIONS_TABLE, [
    ['version', 'int'],
    ['name', 'text'],
    ['applied_at', 'bigint'],
  ]).replace(/\n\)$/, ',\n  PRIMARY KEY (version)\n)');
}
