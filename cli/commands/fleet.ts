/**
 * `telem fleet status`: the latest status of each machine and the staged rollouts, from a collector's GET /api/fleet
 * (engine/fleet-view); `telem fleet halt|resume`: an operator's halt of a rollout; `telem fleet cohort`: this machine's bucket.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FLEET_STATES } from '../../engine/collector/fleet/states.js';
import { BUCKETS, cohortBucket } from '../../engine/fleet/cohort.js';
import { COHORT_SEED_FILE, cohortSeed } from '../../engine/fleet-agent/cohort-seed.js';
import { fetchFleet } from '../../engine/fleet-view/fetch-fleet.js';
import { formatFleet } from '../../engine/fleet-view/format-text.js';
import { sendHalt } from '../../engine/fleet-view/rollout-admin.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';
import { collectorToken } from '../token-file.js';

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
  tokenFile?: string;
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
        'its sequence, state, the sequence it is moving to, its last failure and when its status was created; last the ' +
        'staged rollouts: each step with its time window and machines per arm (candidate, stable) and state, the counters ' +
        "per arm, the gates machines failed with, and whether the rollout is halted and why. --format json prints the collector's " +
        'GET /api/fleet answer as it is. A collector with logins (collector.auth: tokens) needs a token of telem collector token ' +
        'create: --token-file FILE (its first line) or the environment variable TELEM_TOKEN.\n\n' +
        'Exit status: 0 shown, 2 the collector cannot be reached or does not answer with a fleet (or a usage error).',
    )
    .requiredOption('--collector <url>', "the collector's URL (its API listener when it has one), such as http://127.0.0.1:8080/")
    .addOption(new Option('--channel <channel>', 'only this channel (repeat for several)').argParser(collect).default([], 'every channel'))
    .addOption(new Option('--state <state>', `only machines in this state: ${FLEET_STATES.join(', ')} (repeat for several)`).argParser(collectState).default([], 'every state'))
    .option('--limit <n>', 'machines listed at most, 1 to 1000 (default 100; the counts cover every machine)', limitOf)
    .option('--token-file <file>', 'a file whose first line is an API token (else TELEM_TOKEN)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: StatusOptions) => {
      let token: string | null;
      try {
        token = collectorToken(options.tokenFile, 'TELEM_TOKEN');
      } catch (error) {
        process.stderr.write(`telem fleet status: ${(error as Error).message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      let answer;
      try {
        answer = await fetchFleet({
          collector: options.collector,
          channel: options.channel,
          state: options.state,
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          ...(token === null ? {} : { token }),
        });
      } catch (error) {
        process.exitCode = reportError('telem fleet status', error);
        return;
      }
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(answer, null, 2)}\n` : formatFleet(answer, options.collector));
      process.exitCode = EXIT_OK;
    });
}

const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

interface HaltOptions {
  collector: string;
  channel: string;
  reason?: string;
  tokenFile?: string;
  format: 'text' | 'json';
}

function haltSubcommand(action: 'halt' | 'resume'): Command {
  const halting = action === 'halt';
  return new Command(action)
    .summary(halting ? 'halt a staged rollout on a collector: machines not on it never take it, machines on it roll back' : 'resume a halted staged rollout on a collector')
    .description(
      (halting
        ? 'Halt staged rollout ROLLOUT on CHANNEL: the collector serves the halt in GET /fleet/<channel>/control, which agents poll with ' +
          'their bundle (fleet.control); machines not yet on the rollout bundle never take it, machines on it roll back to the bundle before. ' +
          'A halt can only hold or roll back what the signed bundle allows, never widen it.'
        : 'Resume staged rollout ROLLOUT on CHANNEL: the halt is lifted, machines take the bundle again as their cohort and the step in force ' +
          "allow, and the collector's halt rules count failures only from now on.") +
        "\n\nNeeds an admin token (telem collector token create --role admin, or one listed in the collector's collector.admin_tokens as " +
        '"sha256:<hex>"): --token-file FILE (its first line) ' +
        'or the environment variable TELEM_ADMIN_TOKEN.\n\nExit status: 0 done, 1 the collector refused (no admin tokens, a wrong token, ' +
        'a rollout it has not seen on that channel), 2 the collector cannot be reached, no token was given, or a usage error.',
    )
    .argument('<rollout>', 'the rollout id, as in the rollout file', rolloutId)
    .requiredOption('--collector <url>', "the collector's URL (its API listener when it has one), such as http://127.0.0.1:8080/")
    .requiredOption('--channel <channel>', 'the channel the rollout bundle was published on')
    .option('--reason <text>', halting ? 'why, shown to agents and operators (default "halted by <token name>")' : 'a note for the log')
    .option('--token-file <file>', 'a file whose first line is the admin token (else TELEM_ADMIN_TOKEN)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (rollout: string, options: HaltOptions) => {
      let token: string | null;
      try {
        token = collectorToken(options.tokenFile, 'TELEM_ADMIN_TOKEN');
      } catch (error) {
        process.stderr.write(`telem fleet ${action}: ${(error as Error).message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      if (token === null) {
        process.stderr.write(`telem fleet ${action}: an admin token is needed: --token-file FILE or TELEM_ADMIN_TOKEN\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      let answer;
      try {
        answer = await sendHalt({ collector: options.collector, rollout, action, channel: options.channel, token, ...(options.reason === undefined ? {} : { reason: options.reason }) });
      } catch (error) {
        process.exitCode = reportError(`telem fleet ${action}`, error);
        return;
      }
      process.stdout.write(
        options.format === 'json'
          ? `${JSON.stringify(answer, null, 2)}\n`
          : answer.halted
            ? `rollout "${answer.rollout}" on ${answer.channel}: halted by ${answer.by ?? '?'} at ${answer.at ?? '?'}: ${answer.reason ?? ''}\n`
            : `rollout "${answer.rollout}" on ${answer.channel}: resumed by ${answer.by ?? '?'} at ${answer.at ?? '?'}\n`,
      );
      process.exitCode = EXIT_OK;
    });
}

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
    .summary("look at the fleet and its rollouts through a collector, halt or resume a rollout, or see this machine's rollout cohort")
    .description(
      'Look at the fleet and its staged rollouts through a telem collector (telem fleet status --collector URL), halt or resume a ' +
        "rollout there (telem fleet halt|resume ROLLOUT --collector URL --channel C), or see this machine's cohort for a staged rollout " +
        '(telem fleet cohort --rollout ID).',
    )
    .addCommand(statusSubcommand().exitOverride().showHelpAfterError('(run "telem fleet status --help" for usage)'))
    .addCommand(haltSubcommand('halt').exitOverride().showHelpAfterError('(run "telem fleet halt --help" for usage)'))
    .addCommand(haltSubcommand('resume').exitOverride().showHelpAfterError('(run "telem fleet resume --help" for usage)'))
    .addCommand(cohortSubcommand().exitOverride().showHelpAfterError('(run "telem fleet cohort --help" for usage)'));
}
