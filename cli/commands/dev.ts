/** `telem dev` (what `npm start` runs): a collector and an agent delivering to it, under a local root. */
import path from 'node:path';
import { Command } from 'commander';
import { startDevStack } from '../../engine/dev/dev-stack.js';
import { createLogger } from '../../engine/log/logger.js';
import { TelemError } from '../../engine/errors/telem-error.js';
import { EXIT_OK } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { untilStopSignal } from '../stop-signal.js';

export function devCommand(): Command {
  return new Command('dev')
    .summary('run a collector and an agent together locally (what npm start does)')
    .description(
      'Start a collector (SQLite, web UI) and an agent that delivers every record to it and to an NDJSON file, both ' +
        'under a local root directory (default ./.telem-dev), so nothing touches /etc, /var or /run. The machine is ' +
        'opted in under that root. Prints the web UI address and how to send a record; Ctrl-C stops both.\n\n' +
        'Exit status: 0 after a clean stop, 2 when the address is in use or not loopback, or the directory cannot be used.',
    )
    .option('--dir <dir>', 'local root directory for the spool, journal, socket and database', '.telem-dev')
    .option('--listen <host:port>', 'address of the collector, on loopback: its web UI needs no login (port 0: any free port)', '127.0.0.1:8080')
    .action(async (options: { dir: string; listen: string }) => {
      const logger = createLogger({ name: 'telem-dev', level: process.env.TELEM_LOG_LEVEL ?? 'warn' });
      let stack;
      try {
        stack = await startDevStack({ root: options.dir, listen: options.listen, logger });
      } catch (error) {
        // The collector's message names its address; here the user chose it with --listen.
        const code = error instanceof TelemError ? error.code : undefined;
        const reworded =
          code === 'address-in-use'
            ? new TelemError(code, `${options.listen} is in use`, { hint: 'pick another with --listen 127.0.0.1:PORT' })
            : code === 'auth-required'
              ? new TelemError(code, `${options.listen} is not a loopback address, and telem dev serves the web UI without login`, {
                  hint: 'listen on this machine only (--listen 127.0.0.1:PORT), or run telem collector with API tokens to serve a network',
                })
              : error;
        process.exitCode = reportError('telem dev', reworded);
        return;
      }
      const dir = path.relative(process.cwd(), stack.root) || '.';
      process.stdout.write(
        [
          `telem dev: collector and agent running under ${dir}/`,
          `  web UI:   ${stack.collector.url}`,
          `  socket:   ${path.relative(process.cwd(), stack.runtime.intake.socketPath)}`,
          `  file:     ${path.relative(process.cwd(), stack.recordsFile)}`,
          `  policy:   ${path.relative(process.cwd(), stack.policyFile)}`,
          '',
          'Send a record from another terminal, then watch it appear in the web UI:',
          `  npx telem --root ${dir} record -c org.example/demo/hello -p "hello from telem"`,
          `  npx telem --root ${dir} journal`,
          '',
          'Ctrl-C stops both.',
          '',
        ].join('\n'),
      );
      await untilStopSignal();
      await stack.stop();
      process.stdout.write('telem dev: stopped\n');
      process.exitCode = EXIT_OK;
    });
}
