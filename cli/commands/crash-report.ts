/**
 * `telem crash-report`: the kernel.core_pattern pipe handler (engine/probes/crashes/handler.ts),
 * and `--install`/`--uninstall` of the sysctl drop-in that makes it one
 * (engine/probes/crashes/install.ts). As the handler it prints nothing on stdout and ends with
 * status 0 whatever happened to the crash: the kernel reads neither; the log on stderr says.
 */
import { Command } from 'commander';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { handleCrash, type CrashArguments } from '../../engine/probes/crashes/handler.js';
import {
  applyToKernel,
  CORE_PATTERN_ARGUMENTS,
  installApplyCommand,
  installCrashHandler,
  shellQuote,
  SYSCTL_DROP_IN,
  uninstallApplyCommand,
  uninstallCrashHandler,
} from '../../engine/probes/crashes/install.js';
import { pathFromCorePattern } from '../../engine/probes/crashes/privacy-filter.js';
import { createLogger } from '../../engine/log/logger.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';

interface CrashReportOptions {
  install?: boolean;
  uninstall?: boolean;
  apply?: boolean;
  program?: string;
  policy?: string;
  socket?: string;
}

const PROGRAM = 'telem crash-report';

function usage(message: string): number {
  process.stderr.write(`${PROGRAM}: ${message}\n(run "telem crash-report --help" for usage)\n`);
  return EXIT_USAGE;
}

/** An integer argument, or null for one the kernel left empty. */
function integer(text: string): number | null | undefined {
  if (text === '') return null;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** `%P %s %e %E`; a comm with spaces (split by kernels before 5.x) is joined back. */
function crashArguments(args: readonly string[]): CrashArguments | string {
  if (args.length < 4) return `expected 4 arguments (PID SIGNAL COMM PATH, as kernel.core_pattern passes ${CORE_PATTERN_ARGUMENTS.replace('crash-report ', '')}), got ${args.length}`;
  const pid = integer(args[0] as string);
  const signal = integer(args[1] as string);
  if (pid === undefined) return `PID must be a number, got "${args[0] as string}"`;
  if (signal === undefined) return `SIGNAL must be a number, got "${args[1] as string}"`;
  return { pid, signal, comm: args.slice(2, -1).join(' '), executable: pathFromCorePattern(args.at(-1) as string) };
}

function quoted(command: readonly string[]): string {
  return command.map(shellQuote).join(' ');
}

async function install(options: CrashReportOptions, root: string): Promise<number> {
  if (options.apply && root !== '/') return usage('--apply changes the running kernel, so it is refused with --root (or TELEM_ROOT)');
  const program = options.program ?? path.resolve(process.argv[1] ?? 'telem');
  const installed = await installCrashHandler({ root, program });
  const command = installApplyCommand(installed);
  process.stdout.write(`Wrote ${installed.file}:\n  kernel.core_pattern=${installed.pattern}\n`);
  if (installed.previous !== null) process.stdout.write(`The pattern it replaces is noted in the file: ${installed.previous}\n`);
  for (const file of installed.overriddenBy) {
    process.stderr.write(`${PROGRAM}: warning: ${file} also sets kernel.core_pattern and is applied after ${SYSCTL_DROP_IN} at boot, so its value wins there\n`);
  }
  if (options.apply) {
    await applyToKernel(command);
    process.stdout.write(`Applied: ${quoted(command)}\n`);
  } else {
    process.stdout.write(`It takes effect at the next boot; to apply it now, run:\n  ${quoted(command)}\n`);
  }
  return EXIT_OK;
}

async function uninstall(options: CrashReportOptions, root: string): Promise<number> {
  if (options.apply && root !== '/') return usage('--apply changes the running kernel, so it is refused with --root (or TELEM_ROOT)');
  const uninstalled = await uninstallCrashHandler({ root });
  const command = uninstallApplyCommand(uninstalled);
  process.stdout.write(uninstalled.removed ? `Removed ${uninstalled.file}.\n` : `Nothing to remove: ${uninstalled.file} does not exist.\n`);
  if (options.apply) {
    await applyToKernel(command);
    process.stdout.write(`Applied: ${quoted(command)}\n`);
  } else {
    process.stdout.write(`The running kernel keeps its kernel.core_pattern until it is set again; to restore the one from before the install, run:\n  ${quoted(command)}\n`);
  }
  return EXIT_OK;
}

async function drainQuietly(): Promise<void> {
  try {
    for await (const chunk of process.stdin) void chunk;
  } catch {
    // The input is already gone.
  }
}

async function report(args: readonly string[], options: CrashReportOptions, root: string): Promise<number> {
  const crash = crashArguments(args);
  if (typeof crash === 'string') {
    // Even a wrong command line leaves no writer blocked on the pipe.
    await drainQuietly();
    return usage(crash);
  }
  // Waiting for a core from a terminal would be waiting forever.
  if (process.stdin.isTTY) return usage('the core is read from standard input, which is a terminal here: pipe a core in (telem crash-report PID SIGNAL COMM PATH < core)');
  const logger = createLogger({ name: 'telem-crash-report' });
  try {
    await handleCrash({
      root,
      policyFile: options.policy,
      socketPath: options.socket,
      crash,
      input: process.stdin,
      startedAt: performance.timeOrigin,
      env: process.env,
      logger,
    });
  } catch (error) {
    // A bug must not hold up the kernel either: say so, read what is left, end as always.
    logger.error({ err: error }, 'crash-report failed');
    await drainQuietly();
  }
  return EXIT_OK;
}

export function crashReportCommand(): Command {
  return (
    new Command('crash-report')
      .summary('the kernel.core_pattern handler: report a crashed process (and --install it)')
      .description(
        'Report one crash: the kernel pipes the core dump to standard input and names the process in four arguments, ' +
          'in this order (kernel.core_pattern=|/usr/bin/telem crash-report %P %s %e %E):\n' +
          '  PID     %P  the process id in the initial pid namespace\n' +
          '  SIGNAL  %s  the number of the signal that killed it\n' +
          '  COMM    %e  its short name\n' +
          '  PATH    %E  the executable path, with ! for every /\n\n' +
          "The machine's policy says what is reported (collection.probes.crashes): nothing while it is off or the machine has not opted in; " +
          'a program outside full_reports.paths (or inside full_reports.except) as "Crash from third party" without reading its core; ' +
          'otherwise the backtrace of every thread (eu-stack or gdb, at most max_frames each), all within timeout. ' +
          'The core is kept only in the keep_core directory; standard input is always read to its end.\n\n' +
          `--install writes ${SYSCTL_DROP_IN} (under --root) and prints the sysctl command that applies it now; --uninstall removes it ` +
          'and prints how to restore the earlier pattern. With --apply they run that command (root / only).\n\n' +
          'Exit status: 0 once the arguments are right, whatever happened to the crash (the log on stderr says); 2 for a wrong command line; ' +
          'with --install/--uninstall, 2 when the file cannot be written or the command fails.',
      )
      .argument('[crash...]', 'PID SIGNAL COMM PATH, as above')
      // A login shell's COMM is "-bash": the kernel's arguments are never options, and this command has no short ones to clash with.
      .allowUnknownOption()
      .helpOption('--help', 'display help for command')
      .option('--install', `make telem the kernel's core dump handler: write ${SYSCTL_DROP_IN}`)
      .option('--uninstall', `remove ${SYSCTL_DROP_IN}`)
      .option('--apply', 'with --install or --uninstall: also change the running kernel (sysctl)')
      .option('--program <path>', 'with --install: the telem executable the kernel runs (default: this one)')
      .option('--policy <file>', "a policy file to use instead of the machine's (as telem run --policy)")
      .option('--socket <path>', "the agent's socket, used as given (default: the policy's intake.socket under --root)")
      .action(async (args: string[], options: CrashReportOptions, command: Command) => {
        const root = rootOf(command);
        try {
          if (options.install && options.uninstall) process.exitCode = usage('--install and --uninstall exclude each other');
          else if (options.install || options.uninstall) {
            if (args.length > 0) process.exitCode = usage(`--${options.install ? 'install' : 'uninstall'} takes no arguments`);
            else process.exitCode = options.install ? await install(options, root) : await uninstall(options, root);
          } else if (options.apply || options.program !== undefined) {
            process.exitCode = usage(`${options.apply ? '--apply' : '--program'} goes with --install or --uninstall`);
          } else {
            process.exitCode = await report(args, options, root);
          }
        } catch (error) {
          process.exitCode = reportError(PROGRAM, error);
        }
      })
  );
}
