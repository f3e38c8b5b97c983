/** `telem simulate POLICY`: replay records through a policy (the agent's compiled code, a virtual clock), sending nothing. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { TelemError } from '../../engine/errors/telem-error.js';
import { loadAgentPolicy } from '../../engine/load/agent-policy.js';
import { compareSimulations } from '../../engine/simulate/compare.js';
import { formatSimulationText } from '../../engine/simulate/format-text.js';
import { readExport } from '../../engine/simulate/input.js';
import { Simulation, type SimulatedRecord } from '../../engine/simulate/simulate.js';
import { recordsFromCollector, recordsFromJournal } from '../../engine/simulate/sources.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { CommandFailure, loadPolicyOrFail } from '../command-failure.js';
import { rootOf } from '../root-option.js';

interface SimulateOptions {
  records?: string;
  journal?: boolean;
  collector?: string;
  since?: string;
  from?: string;
  format: 'text' | 'json';
}

/** How far the read is, for the progress bar: bytes read of the file's size, when it is a file. */
interface ReadProgress {
  readonly read: () => number;
  readonly total: number;
}

const BAR_WIDTH = 30;

/** A progress bar (a count when the size is unknown) on stderr while records are read, only on a terminal. */
function progress(file: ReadProgress | null): { tick(): void; done(): void } {
  if (!process.stderr.isTTY) return { tick() {}, done() {} };
  let count = 0;
  let shownAt = 0;
  return {
    tick() {
      count += 1;
      if (count % 1000 !== 0 || Date.now() - shownAt < 200) return;
      shownAt = Date.now();
      const records = `${count.toLocaleString('en-US')} records`;
      if (file === null || file.total === 0) {
        process.stderr.write(`\rtelem simulate: ${records} read…`);
        return;
      }
      const share = Math.min(1, file.read() / file.total);
      const filled = Math.round(share * BAR_WIDTH);
      process.stderr.write(`\rtelem simulate: [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ${records}`);
    },
    done() {
      if (shownAt > 0) process.stderr.write('\r\x1b[K');
    },
  };
}

interface Source {
  readonly records: AsyncIterable<SimulatedRecord> | Iterable<SimulatedRecord>;
  readonly progress: ReadProgress | null;
}

async function source(options: SimulateOptions, root: string): Promise<Source> {
  const chosen = [options.records !== undefined, options.journal === true, options.collector !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new CommandFailure('give exactly one of --records FILE, --journal and --collector URL', EXIT_USAGE);
  if (options.since !== undefined && options.collector === undefined) throw new CommandFailure('--since only applies with --collector', EXIT_USAGE);
  if (options.collector !== undefined) {
    const token = process.env.TELEM_TOKEN?.trim();
    return { records: recordsFromCollector(options.collector, { since: options.since, token: token === '' ? undefined : token }), progress: null };
  }
  if (options.records !== undefined) {
    if (options.records === '-') return { records: readExport(process.stdin, 'stdin'), progress: null };
    const file = options.records;
    const size = await stat(file).then(
      (info) => info.size,
      () => 0,
    );
    const stream = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error: NodeJS.ErrnoException) => reject(new CommandFailure(`cannot read ${file}: ${error.code ?? error.message}`, EXIT_USAGE)));
    });
    return { records: readExport(stream, file), progress: { read: () => stream.bytesRead, total: size } };
  }
  const running = await loadAgentPolicy({ root });
  if (!running.policy) throw new CommandFailure("this machine's policy has errors, so its journal cannot be found (see telem validate)", EXIT_INVALID);
  const journal = await recordsFromJournal(root, running.policy);
  process.stderr.write(
    `telem simulate: ${journal.records.length} records from ${journal.file}; the journal keeps no severity, so they are replayed at severity 1${journal.withoutPayload > 0 ? `, ${journal.withoutPayload} of them without their payload (not retained)` : ''}\n`,
  );
  return { records: journal.records, progress: null };
}

async function runSimulate(file: string, options: SimulateOptions, root: string): Promise<number> {
  const { policy } = await loadPolicyOrFail(file, { consequence: '; nothing simulated' });
  const other = options.from === undefined ? null : (await loadPolicyOrFail(options.from, { consequence: '; nothing simulated' })).policy;
  const { records, progress: reading } = await source(options, root);
  const simulation = new Simulation(policy);
  const baseline = other ? new Simulation(other) : null;
  const shown = progress(reading);
  try {
    for await (const record of records) {
      simulation.add(record);
      baseline?.add(record);
      shown.tick();
    }
  } finally {
    shown.done();
  }
  const result = simulation.finish();
  const before = baseline?.finish() ?? null;
  const differences = before && baseline ? compareSimulations(before, result, { before: baseline.leaving(), after: simulation.leaving() }) : null;
  if (options.format === 'json') {
    process.stdout.write(
      `${JSON.stringify({ ...result, ...(before ? { from: { policy: before.policy, results: before.results, unrouted: before.unrouted }, differences } : {}) }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(formatSimulationText(result, file, differences ? { label: options.from as string, list: differences } : undefined));
  }
  return EXIT_OK;
}

export function simulateCommand(): Command {
  return new Command('simulate')
    .summary('replay records through a policy and count what it would deliver, defer and drop; sends nothing')
    .description(
      "Replay records through POLICY with the agent's own compiled code (collection, redaction, routes, rate limits), " +
        "on a virtual clock driven by each record's creation_timestamp, and print per route and destination: delivered, " +
        'deferred (waited for the rate limit, then delivered), expired, dropped by reason, bytes; and what no route took. ' +
        'Nothing is sent: every destination is taken to accept every request, and the spool never fills.\n\n' +
        'Records come from --records FILE (NDJSON as a collector exports it, GET /api/records?format=ndjson; - for stdin), ' +
        '--collector URL (fetched from a telem collector, --since 7d by default everything; a collector with logins needs an API token ' +
        "in TELEM_TOKEN), or --journal (this machine's " +
        'journal and retained payloads). With --from OTHER, the same records go through OTHER too and the differences are listed.\n\n' +
        'Exit status: 0 simulated, 1 a policy has errors, 2 usage error, unreadable file or input line, collector unreachable.',
    )
    .argument('<policy>', 'the policy (or telemetrics.conf) to simulate')
    .option('--records <file>', 'NDJSON records in the collector\'s export format ("-" for stdin)')
    .option('--journal', "this machine's journal and retained payloads (under --root)")
    .option('--collector <url>', 'a telem collector to fetch the records from')
    .option('--since <when>', 'with --collector: only records received since then (7d, 24h, an ISO time)')
    .option('--from <other>', 'also simulate OTHER and list what POLICY does differently')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, options: SimulateOptions, command: Command) => {
      try {
        process.exitCode = await runSimulate(file, options, rootOf(command));
      } catch (error) {
        if (error instanceof CommandFailure) {
          process.stderr.write(`telem simulate: ${error.message}\n`);
          process.exitCode = error.status;
        } else if (error instanceof TelemError) {
          process.exitCode = reportError('telem simulate', error);
        } else throw error;
      }
    });
}
