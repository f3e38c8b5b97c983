/**
 * `telem probe NAME [--input FILE] --print`: what a built-in probe would send now (or for a saved
 * input), with the settings of the machine's policy, printed as records and never sent. Live
 * probes run inside `telem run`; this is the dry run, so it works for a probe the policy has off.
 */
import { Command } from 'commander';
import { PROBE_NAMES } from '../../schemas/probes.js';
import { recordJson } from '../../engine/deliver/record-json.js';
import { loadPolicyInHand } from '../../engine/explain/load.js';
import type { ProbeDefinition, ProbeName } from '../../engine/probes/probe.js';
import { PROBES } from '../../engine/probes/built-in/probes.js';
import { probeDefinition } from '../../engine/probes/registry.js';
import { buildRecord } from '../../engine/record/build.js';
import { readHostHeaders } from '../../engine/record/host.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { CommandFailure } from '../command-failure.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';

interface ProbeOptions {
  policy?: string;
  input?: string;
  print?: boolean;
}

/** What --input stands for, per probe; null for a probe that reads nothing it could be given. */
const INPUT: Readonly<Record<ProbeName, string | null>> = {
  heartbeat: null,
  kernel: 'a saved kernel log instead of /dev/kmsg',
  pstore: 'a directory of pstore entries instead of /sys/fs/pstore',
  bert: 'a saved BERT table instead of /sys/firmware/acpi/tables/data/BERT',
  crashes: 'a core file instead of one the kernel hands over',
  journal: 'a journal file instead of the system journal',
};

const isProbeName = (name: string): name is ProbeName => (PROBE_NAMES as readonly string[]).includes(name);

const HELP_WIDTH = 100;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

function probesHelp(): string {
  const width = Math.max(...PROBE_NAMES.map((name) => name.length));
  const indent = ' '.repeat(width + 4);
  const lines = ['', 'Probes (collection.probes.NAME in the policy):'];
  for (const name of PROBE_NAMES) {
    const input = INPUT[name];
    const { summary } = PROBES[name];
    const text = `${summary}${summary.endsWith('.') ? '' : '.'}${input === null ? '' : ` --input: ${input}.`}`;
    wrap(text, HELP_WIDTH - indent.length).forEach((line, index) => lines.push(index === 0 ? `  ${name.padEnd(width)}  ${line}` : `${indent}${line}`));
  }
  lines.push(
    '',
    'Examples:',
    '  telem probe heartbeat --print                            the heartbeat this machine would send now',
    '  telem probe kernel --input oops.txt --print              the records of the oopses in a saved kernel log',
    '  telem probe heartbeat --print | telem simulate fleet.policy.yaml --records -',
    '                                                           where a policy would send them',
  );
  return `${lines.join('\n')}\n`;
}

async function runProbe(name: string, options: ProbeOptions, root: string): Promise<number> {
  if (!isProbeName(name)) throw new CommandFailure(`unknown probe "${name}"; the probes are ${PROBE_NAMES.join(', ')}`, EXIT_USAGE);
  if (!options.print) {
    throw new CommandFailure(
      `--print is required: live probes run inside "telem run" when the policy enables them (collection.probes.${name}.enabled: true); ` +
        `"telem probe ${name} --print" prints what it would send, and sends nothing`,
      EXIT_USAGE,
    );
  }
  if (options.input !== undefined && INPUT[name] === null) {
    const takers = PROBE_NAMES.filter((probe) => INPUT[probe] !== null);
    throw new CommandFailure(`probe ${name} reads no input; --input is for ${takers.slice(0, -1).join(', ')} and ${takers.at(-1) ?? ''}`, EXIT_USAGE);
  }
  const definition = probeDefinition(name, PROBES) as ProbeDefinition<typeof name>;
  const { policy } = await loadPolicyInHand({ policy: options.policy, root });
  const settings = policy.collection.probes[name];
  if (!settings.enabled) process.stderr.write(`probe ${name} is off in the policy; printing what it would send\n`);
  const [events, host] = await Promise.all([definition.once(settings, { root, input: options.input }), readHostHeaders({ root })]);
  for (const event of events) {
    const record = buildRecord({
      classification: event.classification,
      severity: event.severity,
      payloadVersion: event.payloadVersion ?? 1,
      host,
      payload: Buffer.from(event.payload, 'utf8'),
      ...(event.createdAt === undefined ? {} : { createdAt: event.createdAt }),
    });
    process.stdout.write(`${recordJson(record)}\n`);
  }
  return EXIT_OK;
}

export function probeCommand(): Command {
  return new Command('probe')
    .summary('print what a built-in probe would send (the agent runs them when the policy enables them)')
    .description(
      'Run the built-in probe NAME once with the settings of the machine\'s policy (--policy FILE, else the one "telem run" ' +
        'would load under the root), even when the policy has it off, and print each record it would send as one line of ' +
        "JSON (the v3 record object: the 15 header fields with this machine's values, and the payload), the form " +
        '"telem simulate --records" reads. Nothing is sent and nothing is remembered (a kernel log position, a journal ' +
        'cursor). Live probes run inside "telem run" while collection.probes.NAME.enabled is true.\n\n' +
        'Exit status: 0 printed, 1 the policy has errors, 2 usage error or unreadable file.',
    )
    .argument('<name>', `the probe: ${PROBE_NAMES.join(', ')}`)
    .option('--print', 'print the records on stdout instead of sending them (required)')
    .option('--input <file>', 'read this saved input instead of the live source (see the probes below)')
    .option('--policy <file>', 'the policy whose settings the probe uses (used as given, not under the root)')
    .addHelpText('after', probesHelp())
    .action(async (name: string, options: ProbeOptions, command: Command) => {
      try {
        process.exitCode = await runProbe(name, options, rootOf(command));
      } catch (error) {
        if (!(error instanceof CommandFailure)) {
          process.exitCode = reportError('telem probe', error);
          return;
        }
        process.stderr.write(`telem probe: ${error.message}\n`);
        process.exitCode = error.status;
      }
    });
}
