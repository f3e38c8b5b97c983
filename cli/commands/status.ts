/** `telem status`: consent, machine id, and what the running agent is doing (engine/status). */
import { Command, Option } from 'commander';
import { collectStatus } from '../../engine/status/collect-status.js';
import { formatStatus } from '../../engine/status/format-text.js';
import { EXIT_OK } from '../exit-codes.js';
import { rootOf } from '../root-option.js';

export function statusCommand(): Command {
  return new Command('status')
    .summary('show consent, machine id, and what the running agent is doing')
    .description(
      'Show whether this machine has opted in and its machine id, then what the running agent reports about itself: the ' +
        'policy and revision it runs, its spool, each destination (ok, failing since when and why, records held back ' +
        'because the destination refused them, the next retry), records dropped by reason and connections refused by ' +
        'reason (both counted across restarts), and with fleet.source the fleet bundles: channel, active and previous ' +
        'sequence, state, the last poll, download and activation, and the last error (naming the field a floor refusal is ' +
        'about). When no agent runs it says so, and shows the policy a start would load.\n\n' +
        'Exit status: 0.',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const report = await collectStatus(rootOf(command));
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
      process.exitCode = EXIT_OK;
    });
}
