/** `telem explain`: why a journaled record (or one that has not been sent) went where it went, rule by rule. */
import { Command, Option } from 'commander';
import { readAppliedPolicy } from '../../engine/agent/applied-policy.js';
import type { Explanation } from '../../engine/explain/explanation.js';
import { formatExplanationJson, formatExplanationText } from '../../engine/explain/format-text.js';
import { explainHypothetical } from '../../engine/explain/hypothetical.js';
import { explainJournaled } from '../../engine/explain/journaled.js';
import { loadPolicyInHand } from '../../engine/explain/load.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';

interface ExplainOptions {
  policy?: string;
  class?: string;
  severity?: string;
  payload?: string;
  format: 'text' | 'json';
}

function usage(message: string): number {
  process.stderr.write(`telem explain: ${message}\n`);
  return EXIT_USAGE;
}

async function runExplain(recordId: string | undefined, options: ExplainOptions, root: string): Promise<number> {
  if ((recordId === undefined) === (options.class === undefined)) return usage('give a RECORD_ID, or --class C for a record that has not been sent');
  if (recordId !== undefined && (options.severity !== undefined || options.payload !== undefined)) return usage('--severity and --payload go with --class, not with a RECORD_ID');
  if (options.severity !== undefined && !/^[1-4]$/.test(options.severity)) return usage(`--severity must be 1 to 4, not "${options.severity}"`);
  const { policy, places } = await loadPolicyInHand({ policy: options.policy, root });
  const explanation: Explanation =
    recordId !== undefined
      ? await explainJournaled({ policy, places, root, recordId, applied: options.policy === undefined ? readAppliedPolicy(root) : null })
      : await explainHypothetical({
          policy,
          places,
          root,
          classification: options.class as string,
          severity: options.severity === undefined ? undefined : Number(options.severity),
          payload: options.payload,
        });
  process.stdout.write(options.format === 'json' ? formatExplanationJson(explanation) : formatExplanationText(explanation));
  return EXIT_OK;
}

export function explainCommand(): Command {
  return new Command('explain')
    .summary('show why a record went where it went, rule by rule')
    .description(
      'Explain a journaled record (RECORD_ID, as telem journal lists it) or a record that has not been sent ' +
        '(--class C [--severity N] [--payload TEXT]): consent, the collection rule that allowed or denied it (file:line), ' +
        'the minimum severity, the redactions applied, each route in order and why it matched or not, the rate limit, the ' +
        'destinations and what they receive, the journaled outcome at each destination and the policy revision it ran ' +
        'under. The policy is --policy FILE, else the one "telem run" would load under the root (for a record that ran ' +
        'under the revision the agent last applied, when that file has changed since, the applied rules). The journal keeps final ' +
        'outcomes only (no severity, no delivery attempts), and the output says what it cannot know.\n\n' +
        'Exit status: 0 explained, 1 the policy has errors or the classification, severity or payload is not valid, ' +
        '2 usage error or unreadable file, 3 no journal line has RECORD_ID.',
    )
    .argument('[record_id]', 'a record id from the journal')
    .option('--policy <file>', 'the policy to explain with (used as given, not under the root)')
    .option('--class <classification>', 'explain a record of this classification that has not been sent')
    .option('--severity <n>', 'its severity, 1 to 4 (default 1)')
    .option('--payload <text>', 'its payload (default empty), to see redactions and size limits')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (recordId: string | undefined, options: ExplainOptions, command: Command) => {
      try {
        process.exitCode = await runExplain(recordId, options, rootOf(command));
      } catch (error) {
        process.exitCode = reportError('telem explain', error);
      }
    });
}
