/** `telem fleet status`: the latest status of each machine, from a collector's GET /api/fleet (engine/fleet-view); `telem fleet cohort`: this machine's bucket. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FLEET_STATES } from '../../engine/collector/fleet/states.js';
import { BUCKETS, cohortBucket } from '../../engine/fleet/cohort.js';
import { COHORT_SEED_FILE, cohortSeed } from '../../engine/fleet-agent/cohort-seed.js';
import { fetchFleet } from '../../engine/fleet-view/fetch-fleet.js';
import { formatFleet } from '../../engine/fleet-view/format-text.js';
import { EXIT_OK } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function collectState(value: string, previous: string[]): string[] {
  if (!(FLEET_STATES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${FLEET_STATES.join(', ')}`);
  return collect(value, previous);
}

function limitOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) throw new InvalidArgumentError('expected a number from 1 to 1000');
  return Number(text);
}

interface StatusOptions {
  collector: string;
  channel: string[];
  state: string[];
  limit?: number;
  format: 'text' | 'json';
}

function statusSubcommand(): Command {
  return new Command('status')
    .summary("show each machine's policy sequence and state, as a collector has them")
    .description(
      'Show the fleet as a telem collector sees it from the status records its agents send (org.telem/agent/status): ' +
        'for each channel and policy sequence, how many machines run it and in which state (downloading, verifying, ' +
        'applying, applied, healthy, failed, rolled_back) and the reasons sequences failed with, then each machine with ' +
        'its sequence, state, the sequence it is moving to, its last failure and when its status was created. ' +
        "--format json prints the collector's GET /api/fleet answer as it is.\n\n" +
        'Exit status: 0 shown, 2 the collector cannot be reached or does not answer with a fleet (or a usage error).',
    )
    .requiredOption('--collector <url>', "the collector's URL (its API listener when it has one), such as http://127.0.0.1:8080/")
    .addOption(new Option('--channel <channel>', 'only this channel (repeat for several)').argParser(collect).default([], 'every channel'))
    .addOption(new Option('--state <state>', `only machines in this state: ${FLEET_STATES.join(', ')} (repeat for several)`).argParser(collectState).default([], 'every state'))
    .option('--limit <n>', 'machines listed at most, 1 to 1000 (default 100; the counts cover every machine)', limitOf)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: StatusOptions) => {
      let answer;
      try {
        answer = await fetchFleet({ collector: options.collector, channel: options.channel, state: options.state, ...(options.limit === undefined ? {} : { limit: options.limit }) });
      } catch (error) {
        process.exitCode = reportError('telem fleet status', error);
        return;
      }
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(answer, null, 2)}\n` : formatFleet(answer, options.collector));
      process.exitCode = EXIT_OK;
    });
}

const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function rolloutId(value: string): string {
  if (value.length > 100 || !ROLLOUT_ID.test(value)) throw new InvalidArgumentError('rollout ids use letters, digits, ".", "_" and "-" (at most 100)');
  return value;
}

function cohortSubcommand(): Command {
  return new Command('cohort')
    .summary("print this machine's cohort bucket for a rollout (computed here, never sent)")
    .description(
      `Print the bucket (0 to ${BUCKETS - 1}) this machine falls in for rollout ID: the first 48 bits of ` +
        `sha256(JSON.stringify([seed, ID])) scaled to 0…${BUCKETS - 1}, from the random seed in ${COHORT_SEED_FILE} ` +
        '(under --root; made now, mode 0600, when there is none). A step of a staged rollout reaches the machine once its ' +
        'percent × 100 is above the bucket; raising the percent only adds machines, and another rollout id draws an ' +
        'independent cohort. The seed and the bucket never leave the machine; a lab pins a group together by giving its ' +
        'machines the same seed file.\n\nExit status: 0 shown, 2 the seed cannot be read or made (or a usage error).',
    )
    .requiredOption('--rollout <id>', 'the rollout id, as in the rollout file', rolloutId)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((options: { rollout: string; format: 'text' | 'json' }, command: Command) => {
      let bucket: number;
      try {
        bucket = cohortBucket(cohortSeed(rootOf(command)), options.rollout);
      } catch (error) {
        process.exitCode = reportError('telem fleet cohort', error);
        return;
      }
      // In at percent p iff bucket < p × 100: every percent above bucket / 100.
      const above = bucket / 100;
      process.stdout.write(
        options.format === 'json'
          ? `${JSON.stringify({ rollout: options.rollout, bucket, in_above_percent: above })}\n`
          : `rollout "${options.rollout}": bucket ${bucket} of 0…${BUCKETS - 1}: this machine takes it in the first step above ${above}%\n`,
      );
      process.exitCode = EXIT_OK;
    });
}

export function fleetCommand(): Command {
  return new Command('fleet')
    .summary("look at the fleet through a collector, or this machine's rollout cohort")
    .description("Look at the fleet through a telem collector (telem fleet status --collector URL), or at this machine's cohort for a staged rollout (telem fleet cohort --rollout ID).")
    .addCommand(statusSubcommand().exitOverride().showHelpAfterError('(run "telem fleet status --help" for usage)'))
    .addCommand(cohortSubcommand().exitOverride().showHelpAfterError('(run "telem fleet cohort --help" for usage)'));
}
