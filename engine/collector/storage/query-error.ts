/** Why a read was refused or cut short; the query API answers 503 with the message. */

/** collector.query_timeout's default. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export type QueryErrorCode =
  /** The query ran longer than collector.query_timeout. */
  | 'query_timeout'
  /** Too many queries were already running or waiting. */
  | 'query_busy';

export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

export function queryTimeout(timeoutMs: number): QueryError {
  return new QueryError(
    'query_timeout',
    `the query took longer than the collector allows (collector.query_timeout: ${timeoutMs} ms); narrow it with since/until or fewer, more specific patterns`,
  );
}

export function queryBusy(): QueryError {
  return new QueryError('query_busy', 'too many queries are running on the collector right now; try again shortly');
}
