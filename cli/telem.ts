#!/usr/bin/env node
/** The telem command: thin shells over engine/. Only this layer chooses exit codes. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { validateCommand } from './commands/validate.js';
import { EXIT_USAGE } from './exit-codes.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('telem')
  .description('Fleet telemetry driven by policy as code.')
  .version(version, '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const commands = [validateCommand()];
for (const command of commands) program.addCommand(command.exitOverride());

try {
  await program.parseAsync(process.argv);
  const ran = commands.find((command) => command.getOptionValue('exitCode') !== undefined);
  process.exitCode = (ran?.getOptionValue('exitCode') as number | undefined) ?? 0;
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are successful exits; everything else commander rejects is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.stderr.write(`telem: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  }
}
