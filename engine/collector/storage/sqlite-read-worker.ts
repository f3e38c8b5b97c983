/**
 * A reader thread: its own read-only connection to the collector's SQLite file (WAL lets it
 * read while the main thread writes), so a heavy query or export never holds up ingest.
 * Started by storage/read-pool.ts, which also ends it when a query overruns its time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sqliteDialect } from './dialect.js';
import { type ReadCall, readOps, runRead } from './read-ops.js';
import { openSqlite, statementCache } from './sqlite-connection.js';

export interface ReadRequest {
  readonly id: number;
  readonly call: ReadCall;
}
export type ReadReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

const port = parentPort;
if (port) {
  const db = openSqlite((workerData as { file: string }).file, { readonly: true });
  const { all } = statementCache(db);
  const ops = readOps({ dialect: sqliteDialect, all: async (sql, params) => all(sql, params) });
  port.on('message', (request: ReadRequest) => {
    runRead(ops, request.call).then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies ReadReply),
      (error: Error & { code?: string }) => port.postMessage({ id: request.id, ok: false, message: error.message, ...(error.code ? { code: error.code } : {}) } satisfies ReadReply),
    );
  });
}
