/**
 * The database schema, one numbered migration at a time, written once for both backends.
 * A migration is never edited after release; changes come as a new number.
 */
import type { ColumnType, Dialect } from './dialect.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(dialect: Dialect): string[];
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
];

export function createMigrationsTable(dialect: Dialect): string {
  return createTable(dialect, MIGRATIONS_TABLE, [
    ['version', 'int'],
    ['name', 'text'],
    ['applied_at', 'bigint'],
  ]).replace(/\n\)$/, ',\n  PRIMARY KEY (version)\n)');
}
