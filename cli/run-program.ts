/** Parses argv with a commander program and turns commander's outcomes into telem's exit codes. */
import { readFileSync } from 'node:fs';
import { type Command, CommanderError } from 'commander';
import { EXIT_INTERNAL, EXIT_USAGE } from './exit-codes.js';

export const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; everything else commander rejects is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
    } else {
      process.stderr.write(`${program.name()}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  }
}
