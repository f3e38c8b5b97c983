/** Structured logs (pino) on stderr; stdout is kept for results. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({ name: options.name, level: options.level ?? process.env.TELEM_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

/** A logger that drops everything, for library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
