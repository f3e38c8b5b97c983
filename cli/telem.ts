#!/usr/bin/env node
/** The telem command: thin shells over engine/. Only this layer chooses exit codes. */
import { Command } from 'commander';
import { collectorCommand } from './commands/collector.js';
import { convertCommand } from './commands/convert.js';
import { devCommand } from './commands/dev.js';
import { hprobeCommand } from './commands/hprobe.js';
import { journalCommand } from './commands/journal.js';
import { optInCommand } from './commands/opt-in.js';
import { optOutCommand } from './commands/opt-out.js';
import { recordCommand } from './commands/record.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { packageVersion, runProgram } from './run-program.js';

const program = new Command('telem')
  .description('Fleet telemetry driven by policy as code.')
  // Only the long form: commander would take -V anywhere on the line, and `telem journal -V` is upstream's verbose flag.
  .version(packageVersion, '--version')
  .option('--root <dir>', 'resolve every system path (/etc, /var, /run) under this directory (default: $TELEM_ROOT or /)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// Each command file exports a factory; actions set process.exitCode (see exit-codes.ts).
const commands = [
  validateCommand(),
  convertCommand(),
  runCommand(),
  recordCommand(),
  hprobeCommand(),
  optInCommand(),
  optOutCommand(),
  statusCommand(),
  journalCommand(),
  devCommand(),
  collectorCommand(),
];
for (const command of commands) {
  program.addCommand(command.exitOverride().showHelpAfterError(`(run "telem ${command.name()} --help" for usage)`));
}

await runProgram(program);
