/** How a command reports a TelemError from the engine: its diagnostics, or one line and a hint; then the exit status of its code. */
import { formatText } from '../engine/diagnostics/format-text.js';
import { TelemError } from '../engine/errors/telem-error.js';
import { exitStatusOf } from './exit-codes.js';

/**
 * Prints `error` on stderr as "<program>: <prefix><message>[; <hint>]" (or its diagnostics) and
 * returns the exit status; anything that is not a TelemError is a bug and is rethrown.
 */
export function reportError(program: string, error: unknown, prefix: (error: TelemError) => string = () => ''): number {
  if (!(error instanceof TelemError)) throw error;
  const text = formatText(error.diagnostics);
  process.stderr.write(text !== '' ? text : `${program}: ${prefix(error)}${error.message}${error.hint === undefined ? '' : `; ${error.hint}`}\n`);
  return exitStatusOf(error.code);
}
