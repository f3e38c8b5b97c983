/** `telem journal`: what happened to recent records, with upstream telem_journal's options. */
import { Command, Option } from 'commander';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { formatText } from '../../engine/diagnostics/format-text.js';
import { TelemError } from '../../engine/errors/telem-error.js';
import type { JournalOutcome } from '../../engine/journal/entry.js';
import { formatJournalEntry, formatJournalTotal, JOURNAL_VERBOSE_HEADER } from '../../engine/journal/format-text.js';
import type { JournalLine } from '../../engine/journal/line.js';
import { type JournalListing, listJournal } from '../../engine/journal/list-journal.js';
import { loadAgentPolicy } from '../../engine/load/agent-policy.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { rootOf } from '../root-option.js';

interface JournalOptions {
  verbose?: boolean;
  classification?: string;
  record_id?: string;
  event_id?: string;
  boot_id?: string;
  include_record?: boolean;
  outcome?: JournalOutcome;
  format: 'text' | 'json';
  policy?: string;
}

function fail(message: string, exitCode: number): void {
  process.stderr.write(`telem journal: ${message}\n`);
  process.exitCode = exitCode;
}

async function loadPolicy(root: string, file: string | undefined): Promise<ResolvedPolicy | null> {
  const checked = await loadAgentPolicy({ policy: file, root });
  if (checked.policy) return checked.policy;
  if (checked.unreadable) fail(checked.diagnostics.map((d) => `${d.file ? `${d.file}: ` : ''}${d.message}`).join('\n'), EXIT_USAGE);
  else fail(`the policy has errors; cannot tell where the journal is\n${formatText(checked.diagnostics)}`, EXIT_INVALID);
  return null;
}

function entryJson(entry: JournalLine, payload: Buffer | null | undefined) {
  return payload === undefined ? entry : { ...entry, payload: payload === null ? null : payload.toString('utf8') };
}

export function journalCommand(): Command {
  return new Command('journal')
    .summary('show what happened to recent records')
    .description(
      'List the journal: one line per record outcome (delivered, dropped, expired, rejected) at each destination, ' +
        'as upstream telem_journal printed it, with the outcome as a last column (outcome[:reason][@destination]). ' +
        'The journal and retained payloads are found through the policy: --policy FILE, else the one "telem run" would ' +
        'load under the root (/etc/telemetrics/telem.policy.*, then telemetrics.conf, then the defaults).\n\nExit status: 0 (also when nothing matches), 1 the policy has errors, ' +
        '2 usage error or unreadable file.',
    )
    .option('-V, --verbose', 'print a header line and the number of records listed')
    .option('-c, --classification <classification>', 'only this classification; a prefix when it ends in "/*" (org.example/*)')
    .option('-r, --record_id <id>', 'only the record with this record id')
    .option('-e, --event_id <id>', 'only records of this event id')
    .option('-b, --boot_id <id>', 'only records journaled during this boot')
    .option('-i, --include_record', 'print the retained payload after each record (needs retention.keep_payloads)')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['delivered', 'dropped', 'expired', 'rejected']))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--policy <file>', 'policy that names the journal (used as given, not under the root)')
    .action(async (options: JournalOptions, command: Command) => {
      const root = rootOf(command);
      const policy = await loadPolicy(root, options.policy);
      if (!policy) return;
      let listing: JournalListing;
      try {
        listing = await listJournal({
          root,
          policy,
          filter: { classification: options.classification, recordId: options.record_id, eventId: options.event_id, bootId: options.boot_id, outcome: options.outcome },
          includePayloads: options.include_record,
        });
      } catch (error) {
        if (!(error instanceof TelemError)) throw error;
        fail(error.message, EXIT_USAGE);
        return;
      }
      const { file, entries, payloads } = listing;
      for (const problem of listing.problems) {
        process.stderr.write(`telem journal: warning: ${file}:${problem.line}: skipped a damaged line (${problem.message})\n`);
      }

      if (options.format === 'json') {
        const listed = entries.map((entry, index) => entryJson(entry, payloads === null ? undefined : (payloads[index] ?? null)));
        process.stdout.write(`${JSON.stringify({ journal: file, entries: listed, skipped: listing.problems }, null, 2)}\n`);
      } else {
        const out: (string | Buffer)[] = [];
        if (options.verbose) out.push(JOURNAL_VERBOSE_HEADER);
        entries.forEach((entry, index) => {
          out.push(formatJournalEntry(entry));
          const payload = payloads?.[index];
          if (payload) out.push(payload, payload.at(-1) === 0x0a ? '' : '\n');
        });
        if (options.verbose) out.push(formatJournalTotal(entries.length));
        process.stdout.write(Buffer.concat(out.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk))));
      }

      if (listing.notRetained > 0) {
        const hint = policy.retention.keep_payloads === 0 ? ' (retention.keep_payloads is 0)' : '';
        process.stderr.write(`telem journal: ${listing.notRetained} of ${listing.delivered} delivered records have no retained payload${hint}\n`);
      }
      if (listing.missing && options.format === 'text') process.stderr.write(`telem journal: nothing journaled yet (no ${file})\n`);
      process.exitCode = EXIT_OK;
    });
}
