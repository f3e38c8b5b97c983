/** `telem plan`: what changes between two policies (or the running agent's and a new one), and what that does to records. */
import { Command, Option } from 'commander';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { readAppliedPolicy, appliedPolicyPath } from '../../engine/agent/applied-policy.js';
import { diffPolicies } from '../../engine/plan/diff.js';
import { type PlanSide, formatPlanText, summarizePlan } from '../../engine/plan/format-text.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { CommandFailure, loadPolicyOrFail } from '../command-failure.js';
import { rootOf } from '../root-option.js';

interface PlanOptions {
  from?: string;
  running?: boolean;
  detailedExitcode?: boolean;
  format: 'text' | 'json';
}

const side = (label: string, policy: ResolvedPolicy): PlanSide => ({ label, name: policy.metadata.name, revision: policy.metadata.revision });

async function runPlan(file: string, options: PlanOptions, root: string): Promise<number> {
  if ((options.from === undefined) === !options.running) throw new CommandFailure('give exactly one of --from OLD and --running', EXIT_USAGE);
  let before: ResolvedPolicy;
  let fromLabel: string;
  let waiting: Record<string, number> | undefined;
  if (options.from !== undefined) {
    before = (await loadPolicyOrFail(options.from, { consequence: '; nothing planned', warnings: true })).policy;
    fromLabel = options.from;
  } else {
    const applied = readAppliedPolicy(root);
    if (applied === null) throw new CommandFailure(`no agent has applied a policy under ${root} (no ${appliedPolicyPath(root)}); plan against a file with --from OLD`, EXIT_USAGE);
    before = applied.policy;
    fromLabel = `the running agent (${applied.source ?? 'built-in defaults'})`;
    const { readStatusFile } = await import('../../engine/agent/status-file.js');
    const status = readStatusFile(root);
    if (status?.state === 'running') waiting = Object.fromEntries(Object.entries(status.destinations).map(([name, h]) => [name, h.queued + h.held + h.inFlight]));
  }
  const after = (await loadPolicyOrFail(file, { consequence: '; nothing planned', warnings: true })).policy;
  const actions = diffPolicies(before, after, waiting === undefined ? {} : { waiting });
  if (options.format === 'json') {
    const summary = summarizePlan(actions);
    process.stdout.write(`${JSON.stringify({ format_version: 1, from: side(fromLabel, before), to: side(file, after), actions, summary }, null, 2)}\n`);
  } else {
    process.stdout.write(formatPlanText(actions, side(fromLabel, before), side(file, after)));
  }
  return options.detailedExitcode && actions.length > 0 ? 2 : EXIT_OK;
}

export function planCommand(): Command {
  return new Command('plan')
    .summary('show what a new policy changes, and what that does to records')
    .description(
      'Compare NEW (a policy file or a telemetrics.conf) with --from OLD, or with the policy the agent on this machine ' +
        'runs (--running), and list every route, destination and section that would be added (+), changed (~) or ' +
        'removed (-), with each setting before → after. Actions that lose records (a route that now drops, a smaller ' +
        'spool, a narrower allow, a removed destination, …) or let more leave the machine (a new destination or route, a ' +
        'wider allow, a removed redaction, opt-in no longer required, …) get a warning line each. Route order counts: ' +
        'a reorder that changes which route takes a classification is a change.\n\n' +
        'Exit status: 0 planned, 1 a policy has errors, 2 usage error or unreadable file. With --detailed-exitcode: ' +
        '0 no changes, 1 any error, 2 changes.',
    )
    .argument('<new>', 'the policy (or telemetrics.conf) that would be applied')
    .option('--from <old>', 'the policy (or telemetrics.conf) it replaces')
    .option('--running', 'compare with what the agent on this machine (under --root) applied last')
    .option('--detailed-exitcode', 'exit 2 when there are changes, 0 when there are none, 1 on any error')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, options: PlanOptions, command: Command) => {
      try {
        process.exitCode = await runPlan(file, options, rootOf(command));
      } catch (error) {
        // With --detailed-exitcode, 2 means "changes", so every failure is 1.
        if (!(error instanceof CommandFailure)) throw error;
        process.stderr.write(`telem plan: ${error.message}\n`);
        process.exitCode = options.detailedExitcode ? EXIT_INVALID : error.status;
      }
    });
}
