/** `telem opt-in`: allow telemetry on this machine (creates /etc/telemetrics/opt-in, as telemctl opt-in). */
import { Command } from 'commander';
import { optIn, optInPath } from '../../engine/consent/opt-in.js';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.js';
import { rootOf } from '../root-option.js';

export async function runOptIn(root: string): Promise<number> {
  try {
    const result = await optIn({ root });
    if (result === 'already-opted-in') process.stderr.write('Already opted in. Nothing to do.\n');
    else process.stdout.write(`Opted in to telemetry (${optInPath({ root })}).\n`);
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(`Error: could not create ${optInPath({ root })}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return EXIT_INVALID;
  }
}

export function optInCommand(): Command {
  return new Command('opt-in')
    .summary('allow this machine to send telemetry')
    .description(
      'Create the opt-in marker /etc/telemetrics/opt-in (under --root). Probes refuse to send records until it exists.\n\n' +
        'Exit status: 0 opted in (or already), 1 the marker could not be created.',
    )
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runOptIn(rootOf(command));
    });
}
