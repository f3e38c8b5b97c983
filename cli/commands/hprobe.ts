/** `telem hprobe` (and the compat bin hprobe): sends the hello/heartbeat record of engine/probe/hello.ts. */
import { Command, Option } from 'commander';
import { TelemError } from '../../engine/errors/telem-error.js';
import { BUNDLES_DIR, helloRecord } from '../../engine/probe/hello.js';
import { checkConfigFile } from '../../engine/probe/record.js';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.js';
import { sendFromCli } from '../probe-support.js';
import { rootOf } from '../root-option.js';
import { packageVersion } from '../run-program.js';

interface HprobeOptions {
  heartbeat?: boolean;
  locale?: boolean;
  uptime?: boolean;
  bundles?: boolean;
  configFile?: string | undefined;
  /** Upstream's spelling in hprobe and in telem-record-gen's help text. */
  config_file?: string;
  socket?: string;
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return EXIT_INVALID;
}

async function runHprobe(options: HprobeOptions, root: string): Promise<number> {
  if (options.configFile !== undefined && (await checkConfigFile(options.configFile))) return fail('Configuration file path not valid');
  let record;
  try {
    record = await helloRecord({ root, heartbeat: options.heartbeat, locale: options.locale, uptime: options.uptime, bundles: options.bundles });
  } catch (error) {
    if (error instanceof TelemError && error.code === 'system') return fail(`Error: ${error.message}`);
    throw error;
  }
  record.configPath = options.configFile ?? null;
  const sent = await sendFromCli(record, { root, program: 'hprobe', ...(options.socket === undefined ? {} : { socket: options.socket }) });
  if (!sent.ok) return fail(sent.code === 'not-opted-in' ? sent.message : `Failed to send record to daemon: ${sent.message}`);
  process.stdout.write('Successfully sent record to daemon.\n');
  return EXIT_OK;
}

export function hprobeCommand(settings: { name?: string } = {}): Command {
  return new Command(settings.name ?? 'hprobe')
    .summary('send a hello (or heartbeat) record, like upstream hprobe')
    .description(
      'Send org.clearlinux/hello/world (or org.clearlinux/heartbeat/ping with --heartbeat) with the payload "hello", ' +
        'optionally followed by the locale, the uptime and the installed Clear Linux bundles.\n\n' +
        'Exit status: 0 sent, 1 not opted in, agent unreachable or bundles unreadable, 2 usage error.',
    )
    .version(packageVersion, '-V, --version', 'print the version')
    .option('-H, --heartbeat', 'send a "heartbeat" record instead')
    .option('-l, --locale', 'add the locale (LC_ALL) to the payload')
    .option('-u, --uptime', 'add the uptime in seconds to the payload')
    .option('-b, --bundles', `add the bundles listed in ${BUNDLES_DIR} to the payload`)
    .option('-f, --config-file <file>', 'absolute path of a configuration file, sent with the record (CFG)')
    .addOption(new Option('--config_file <file>', 'same as --config-file').hideHelp())
    .option('--socket <path>', "the agent's socket, used as given (default: the policy's intake.socket under --root)")
    .action(async (options: HprobeOptions, command: Command) => {
      process.exitCode = await runHprobe({ ...options, configFile: options.configFile ?? options.config_file }, rootOf(command));
    });
}
