/** `telem opt-out`: stop telemetry on this machine (removes the opt-in marker and the machine id, as telemctl opt-out). */
import { Command } from 'commander';
import { optInPath, optOut } from '../../engine/consent/opt-in.js';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.js';
import { rootOf } from '../root-option.js';

export async function runOptOut(root: string): Promise<number> {
  try {
    const result = await optOut({ root });
    if (result === 'already-opted-out') process.stderr.write('Already opted out. Nothing to do.\n');
    else process.stdout.write('Opted out of telemetry: probes refuse new records and the machine id was removed.\n');
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(`Error: could not remove ${optInPath({ root })}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return EXIT_INVALID;
  }
}

export function optOutCommand(): Command {
  return new Command('opt-out')
    .summary('stop this machine from sending telemetry')
    .description(
      'Remove the opt-in marker /etc/telemetrics/opt-in and the random machine id /var/lib/telemetry/machine_id (under --root); ' +
        'probes then refuse to send and the agent refuses records.\n\nExit status: 0 opted out (or already), 1 the marker could not be removed.',
    )
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runOptOut(rootOf(command));
    });
}
