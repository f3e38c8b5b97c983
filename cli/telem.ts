#!/usr/bin/env node
/** The telem command: thin shells over engine/. Only this layer chooses exit codes. */
import { Command } from 'commander';
import { packageVersion, runProgram } from './run-program.js';

// Each command file exports a factory; actions set process.exitCode (see exit-codes.ts). Only the
// command being run is loaded: the agent should not carry the collector's database drivers, and
// every probe invocation starts faster.
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  validate: async () => (await import('./commands/validate.js')).validateCommand(),
  plan: async () => (await import('./commands/plan.js')).planCommand(),
  simulate: async () => (await import('./commands/simulate.js')).simulateCommand(),
  test: async () => (await import('./commands/test.js')).testCommand(),
  keygen: async () => (await import('./commands/keygen.js')).keygenCommand(),
  bundle: async () => (await import('./commands/bundle.js')).bundleCommand(),
  convert: async () => (await import('./commands/convert.js')).convertCommand(),
  run: async () => (await import('./commands/run.js')).runCommand(),
  record: async () => (await import('./commands/record.js')).recordCommand(),
  hprobe: async () => (await import('./commands/hprobe.js')).hprobeCommand(),
  'crash-report': async () => (await import('./commands/crash-report.js')).crashReportCommand(),
  probe: async () => (await import('./commands/probe.js')).probeCommand(),
  'opt-in': async () => (await import('./commands/opt-in.js')).optInCommand(),
  'opt-out': async () => (await import('./commands/opt-out.js')).optOutCommand(),
  status: async () => (await import('./commands/status.js')).statusCommand(),
  journal: async () => (await import('./commands/journal.js')).journalCommand(),
  explain: async () => (await import('./commands/explain.js')).explainCommand(),
  report: async () => (await import('./commands/report.js')).reportCommand(),
  collector: async () => (await import('./commands/collector.js')).collectorCommand(),
  fleet: async () => (await import('./commands/fleet.js')).fleetCommand(),
  dev: async () => (await import('./commands/dev.js')).devCommand(),
};

/** The subcommand named on the line, skipping global options (and --root's value). */
function requestedCommand(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--root') index += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

const program = new Command('telem')
  .description('Fleet telemetry driven by policy as code.')
  // Only the long form: commander would take -V anywhere on the line, and `telem journal -V` is upstream's verbose flag.
  .version(packageVersion, '--version')
  .option('--root <dir>', 'resolve every system path (/etc, /var, /run) under this directory (default: $TELEM_ROOT or /)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const requested = requestedCommand(process.argv.slice(2));
const names = requested !== undefined && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
for (const name of names) {
  const command = await (COMMANDS[name] as () => Promise<Command>)();
  program.addCommand(command.exitOverride().showHelpAfterError(`(run "telem ${command.name()} --help" for usage)`));
}

await runProgram(program);
