/**
 * `telem hprobe` (and the compat bin hprobe): the hello/heartbeat probe (reference §E.12).
 * Sends org.clearlinux/hello/world, or org.clearlinux/heartbeat/ping with --heartbeat; the
 * payload is "hello\n" plus, on request, the locale, the uptime and the installed bundles.
 */
import { Command, Option } from 'commander';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { underRoot } from '../../engine/paths/root.js';
import { checkConfigFile, createRecord, setPayload } from '../../engine/probe/record.js';
import { MAX_PAYLOAD_BYTES } from '../../engine/record/payload.js';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.js';
import { rootOf, sendFromCli } from '../probe-support.js';
import { packageVersion } from '../run-program.js';

export const BUNDLES_DIR = '/usr/share/clear/bundles';
const TRUNCATION_MARK = '...\n';

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

/** Whole bundle names until the payload limit, then "...": a long list is cut visibly, never mid-name. */
function appendBundles(payload: string, names: readonly string[]): string {
  let text = `${payload}\nBundles (${names.length}):\n`;
  for (const [index, name] of names.entries()) {
    const line = `${name}\n`;
    const reserve = index === names.length - 1 ? 0 : TRUNCATION_MARK.length;
    if (Buffer.byteLength(text) + Buffer.byteLength(line) + reserve > MAX_PAYLOAD_BYTES) return text + TRUNCATION_MARK;
    text += line;
  }
  return text;
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return EXIT_INVALID;
}

async function runHprobe(options: HprobeOptions, root: string): Promise<number> {
  if (options.configFile !== undefined && (await checkConfigFile(options.configFile))) return fail('Configuration file path not valid');
  let payload = 'hello\n';
  // setlocale(LC_ALL, NULL) after setlocale(LC_ALL, ""): the environment's locale, else "C".
  if (options.locale) payload += `LC_ALL: ${process.env.LC_ALL || process.env.LANG || 'C'}\n`;
  if (options.uptime) payload += `uptime: ${Math.floor(os.uptime())}\n`;
  if (options.bundles) {
    const dir = underRoot(root, BUNDLES_DIR);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
    } catch (error) {
      return fail(`Error: cannot list the bundles in ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    payload = appendBundles(payload, names);
  }
  const classification = options.heartbeat ? 'org.clearlinux/heartbeat/ping' : 'org.clearlinux/hello/world';
  const record = setPayload(await createRecord({ classification, severity: 1, payloadVersion: 1, root }), payload);
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
