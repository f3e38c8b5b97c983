/**
 * `telem record` (and the compat bin telem-record-gen): create a record and send it to the
 * local agent. Options, messages and exit codes are telem-record-gen's (reference §E.11), with
 * its bugs fixed: unknown options are usage errors (exit 2) instead of being ignored, every
 * classification part is limited to 40 characters (upstream allowed 41 in the first), payloads
 * over 8192 bytes are refused with a message instead of cut to 8191, a payload that is not text
 * is refused with a message instead of silently, and --echo prints the record that is sent.
 */
import { Command, Option } from 'commander';
import { open } from 'node:fs/promises';
import { checkConfigFile, createRecord, setEventId, setPayload, type ProbeRecord } from '../../engine/probe/record.js';
import { formatHeaderLines } from '../../engine/record/header-lines.js';
import { MAX_PAYLOAD_BYTES } from '../../engine/record/payload.js';
import { RecordError } from '../../engine/record/problem.js';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.js';
import { type LimitedRead, readFileLimited, readStreamLimited } from '../../engine/probe/read-limited.js';
import { sendFromCli } from '../probe-support.js';
import { rootOf } from '../root-option.js';
import { packageVersion } from '../run-program.js';

interface RecordOptions {
  severity: string;
  class?: string;
  payload?: string;
  payloadFile?: string;
  recordVersion: string;
  eventId?: string;
  echo?: boolean;
  post: boolean;
  configFile?: string | undefined;
  /** Upstream's spelling in hprobe and in telem-record-gen's help text. */
  config_file?: string;
  socket?: string;
}

/** A problem already reported on stderr: the command ends with exit status 1. */
class Refused extends Error {}

function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  throw new Refused(message);
}

/** strtoul-like: optional sign and digits; a minus sign is kept so the range check can refuse it. */
function parseInteger(text: string): number | null {
  return /^\s*[+-]?\d+$/.test(text) ? Number(text) : null;
}

async function readPayload(options: RecordOptions): Promise<Buffer> {
  let read: LimitedRead;
  if (options.payloadFile !== undefined) {
    const handle = await open(options.payloadFile, 'r').catch(() => refuse(`Error: file ${options.payloadFile} could not be opened for reading`));
    try {
      read = await readFileLimited(handle, MAX_PAYLOAD_BYTES);
    } catch {
      refuse(`Error: file ${options.payloadFile} could not be read`);
    } finally {
      await handle.close();
    }
  } else if (options.payload !== undefined) {
    const bytes = Buffer.from(options.payload, 'utf8');
    read = { bytes, total: bytes.length };
  } else {
    read = await readStreamLimited(process.stdin, MAX_PAYLOAD_BYTES);
  }
  if (read.total > MAX_PAYLOAD_BYTES) refuse(`Error: payload is ${read.total} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes`);
  return read.bytes;
}

/** Library checks throw RecordError; their messages are upstream's, printed as "Error: …". */
async function checked<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof RecordError) refuse(`Error: ${error.message}`);
    throw error;
  }
}

async function runRecord(options: RecordOptions, root: string, program: string): Promise<number> {
  const severity = parseInteger(options.severity);
  if (severity === null) refuse('Invalid severity number. Must be an integer');
  const payloadVersion = parseInteger(options.recordVersion);
  if (payloadVersion === null) refuse('Invalid record-version number. Must be an integer');
  if (options.configFile !== undefined && (await checkConfigFile(options.configFile))) refuse('Configuration file path not valid');
  if (options.class === undefined) refuse('Error: Classification required. See --help.');

  const classification = options.class;
  const record: ProbeRecord = await checked(() => createRecord({ classification, severity, payloadVersion, root }));
  if (options.eventId !== undefined) {
    const eventId = options.eventId;
    await checked(() => setEventId(record, eventId));
  }
  const payload = await readPayload(options);
  await checked(() => setPayload(record, payload));
  record.configPath = options.configFile ?? null;

  if (options.echo) process.stdout.write(Buffer.concat([Buffer.from(formatHeaderLines(record.headers)), record.payload, Buffer.from('\n')]));
  if (!options.post) return EXIT_OK;

  const sent = await sendFromCli(record, { root, program, ...(options.socket === undefined ? {} : { socket: options.socket }) });
  if (!sent.ok) refuse(sent.code === 'not-opted-in' ? sent.message : `Error: ${sent.message}`);
  return EXIT_OK;
}

export function recordCommand(settings: { name?: string } = {}): Command {
  const name = settings.name ?? 'record';
  return new Command(name)
    .summary('create a telemetry record and send it to the local agent (telem-record-gen)')
    .description(
      'Create a record on this machine and send it to the telem agent over its unix socket, as telem-record-gen does. ' +
        'The payload comes from --payload-file, else --payload, else standard input; it must be text of at most ' +
        `${MAX_PAYLOAD_BYTES} bytes. The machine must have opted in (telem opt-in).\n\n` +
        'Exit status: 0 sent (or printed with --no-post), 1 invalid record, not opted in or agent unreachable, 2 usage error.',
    )
    .version(packageVersion, '-V, --version', 'print the version')
    .option('-s, --severity <level>', 'severity level 1-4', '1')
    .option('-c, --class <classification>', 'classification level_1/level_2/level_3 (required)')
    .option('-p, --payload <text>', `record body (at most ${MAX_PAYLOAD_BYTES} bytes)`)
    .option('-P, --payload-file <file>', 'file to read the record body from')
    .option('-R, --record-version <n>', 'version number of the payload format', '1')
    .option('-e, --event-id <id>', 'event id to use in the record (32 characters 0-9a-f)')
    .option('-o, --echo', 'print the record on stdout')
    .option('-n, --no-post', 'do not send the record, only print it with --echo')
    .option('-f, --config-file <file>', 'absolute path of a configuration file, sent with the record (CFG); a policy file also gives the socket')
    .addOption(new Option('--config_file <file>', 'same as --config-file').hideHelp())
    .option('--socket <path>', "the agent's socket, used as given (default: the policy's intake.socket under --root)")
    .action(async (options: RecordOptions, command: Command) => {
      try {
        process.exitCode = await runRecord({ ...options, configFile: options.configFile ?? options.config_file }, rootOf(command), name);
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        process.exitCode = EXIT_INVALID;
      }
    });
}
