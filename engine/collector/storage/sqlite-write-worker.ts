/**
 * The writer thread: the collector's one writing connection to its SQLite file. better-sqlite3
 * is synchronous, so on the main thread every insert, and above all every COMMIT's fsync, would
 * stop HTTP parsing and validation; here they overlap. Started by storage/write-thread.ts, which
 * answers 503 for what was in flight if this thread dies and starts another.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IncomingRecord } from '../record/record.js';
import type { SqlStatement } from './sql-writes.js';
import type { AppliedMigration, PurgePlan } from './store.js';
import { openSqliteWriter } from './sqlite-writer.js';

export type WriteCall =
  | { readonly op: 'insert'; readonly args: [records: readonly IncomingRecord[]] }
  | { readonly op: 'all' | 'run'; readonly args: [sql: string, params: readonly unknown[]] }
  | { readonly op: 'transaction'; readonly args: [statements: readonly SqlStatement[]] }
  | { readonly op: 'purge'; readonly args: [plan: PurgePlan, now: number] }
  | { readonly op: 'ping' | 'close'; readonly args: [] };

export interface WriteRequest {
  readonly id: number;
  readonly call: WriteCall;
}

export type WriteReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

/** The first message: the file is open and migrated (by these migrations), or why not. */
export type WriterReady = { readonly ready: true; readonly migrations: readonly AppliedMigration[] } | { readonly ready: false; readonly message: string };

const port = parentPort;
if (port) {
  openSqliteWriter((workerData as { file: string }).file).then(
    (writer) => {
      port.on('message', ({ id, call }: WriteRequest) => {
        try {
          let value: unknown;
          if (call.op === 'insert') value = writer.insert(...call.args);
          else if (call.op === 'all') value = writer.all(...call.args);
          else if (call.op === 'run') value = writer.run(...call.args);
          else if (call.op === 'transaction') value = writer.transaction(...call.args);
          else if (call.op === 'purge') value = writer.purge(...call.args);
          else if (call.op === 'ping') value = writer.ping();
          else writer.db.close();
          port.postMessage({ id, ok: true, value } satisfies WriteReply);
          // Nothing comes after close: letting go of the port ends the thread.
          if (call.op === 'close') port.close();
        } catch (error) {
          const { message, code } = error as Error & { code?: string };
          port.postMessage({ id, ok: false, message, ...(typeof code === 'string' ? { code } : {}) } satisfies WriteReply);
        }
      });
      port.postMessage({ ready: true, migrations: writer.migrations } satisfies WriterReady);
    },
    (error: Error) => port.postMessage({ ready: false, message: error.message } satisfies WriterReady),
  );
}
