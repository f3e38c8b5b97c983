/** `telem report`: what leaves this machine under a policy, and with --since what the journal says did. */
import { Command, Option } from 'commander';
import { parseDuration } from '../../schemas/units.js';
import { consentStep } from '../../engine/explain/consent.js';
import { loadPolicyInHand } from '../../engine/explain/load.js';
import { formatReportJson, formatReportText } from '../../engine/report/format-text.js';
import { reportPolicy } from '../../engine/report/report.js';
import { countSince, type SinceReport } from '../../engine/report/since.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';

interface ReportOptions {
  policy?: string;
  since?: string;
  format: 'text' | 'json';
}

async function runReport(options: ReportOptions, root: string): Promise<number> {
  const sinceMs = options.since === undefined ? undefined : parseDuration(options.since);
  if (sinceMs === undefined && options.since !== undefined) {
    process.stderr.write(`telem report: --since must be a duration such as 30d or 12h, not "${options.since}"\n`);
    return EXIT_USAGE;
  }
  const { policy, places } = await loadPolicyInHand({ policy: options.policy, root });
  const report = reportPolicy(policy, places, await consentStep(policy, root));
  const since: SinceReport | null = sinceMs === undefined ? null : await countSince({ root, policy, sinceMs, sinceText: options.since as string });
  process.stdout.write(options.format === 'json' ? formatReportJson(report, since) : formatReportText(report, since));
  return EXIT_OK;
}

export function reportCommand(): Command {
  return new Command('report')
    .summary('show what leaves this machine')
    .description(
      'Report, per destination of a policy (--policy FILE, else the one "telem run" would load under the root): which ' +
        'classifications and severities can reach it after allow, deny, min_severity and the routes before theirs (each ' +
        'rule with its file:line), the record fields it receives and whether the machine id is static or rotating, the ' +
        'redactions, the most records and payload bytes an hour its rate limits let through, and what is kept where. ' +
        'With --since DURATION: how many records of each classification the journal shows at each destination and outcome ' +
        'in that period (the journal keeps its last retention.journal_entries lines).\n\n' +
        'Exit status: 0 reported, 1 the policy has errors, 2 usage error or unreadable file.',
    )
    .option('--policy <file>', 'the policy to report on (used as given, not under the root)')
    .option('--since <duration>', 'also count what the journal shows for this period, such as 30d')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: ReportOptions, command: Command) => {
      try {
        process.exitCode = await runReport(options, rootOf(command));
      } catch (error) {
        process.exitCode = reportError('telem report', error);
      }
    });
}
