#!/usr/bin/env node
/** The telem command: thin shells over engine/. Only this layer chooses exit codes. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { collectorCommand } from './commands/collector.js';
import { convertCommand } from './commands/convert.js';
import { journalCommand } from './commands/journal.js';
import { validateCommand } from './commands/validate.js';
import { EXIT_USAGE } from './exit-codes.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('telem')
  .description('Fleet telemetry driven by policy as code.')
  // Only the long form: commander would take -V anywhere on the line, and `telem journal -V` is upstream's verbose flag.
  .version(version, '--version')
  .option('--root <dir>', 'resolve every system path (/etc, /var, /run) under this directory (default: $TELEM_ROOT or /)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// Each command file exports a factory; actions set process.exitCode (see exit-codes.ts).
const commands = [validateCommand(), convertCommand(), journalCommand(), collectorCommand()];
for (const command of commands) {
  program.addCommand(command.exitOverride().showHelpAfterError(`(run "telem ${command.name()} --help" for usage)`));
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are successful exits; everything else commander rejects is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.stderr.write(`telem: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  }
}
