/**
 * Which storage errors mean "the database cannot be reached right now" (answered 503 with
 * Retry-After: the request was fine, a retry later may succeed) and which are anything else
 * (a 500 to look into). Both drivers are covered: pg (network errors, SQLSTATE classes, pool
 * messages without a code) and better-sqlite3 (SQLITE_* result codes).
 */

/** Network failures reaching PostgreSQL (errno codes from node:net and the resolver). */
// TELEM_SQLITE_WRITER_LOST (storage/write-thread.ts): the SQLite writer thread died; another takes over.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'TELEM_SQLITE_WRITER_LOST']);

/**
 * SQLSTATE: class 08 connection exception, 53 insufficient resources (too many connections,
 * disk full, out of memory), 58 system error (I/O); 57P01-57P03 the server shutting down,
 * crashed or starting.
 */
const SQLSTATE = /^(?:08|53|58)[0-9A-Z]{3}$|^57P0[123]$/;

/** pg's own errors for a lost or unobtainable connection carry no code. */
const PG_CONNECTION_MESSAGE = /^Connection terminated|timeout exceeded when trying to connect|is not queryable/;

/** SQLite: locked by another process, I/O errors, a file that cannot be opened, a full disk. */
const SQLITE_CODE = /^SQLITE_(?:BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL|READONLY)(?:_|$)/;

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE.test(code) || SQLITE_CODE.test(code))) return true;
  // An AggregateError (pg connecting to each address of a name) is unavailable when its parts are.
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.every(isUnavailable);
  return PG_CONNECTION_MESSAGE.test(error.message);
}
