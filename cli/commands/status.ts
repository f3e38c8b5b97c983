/** `telem status`: consent, machine id and whether the agent is listening (telemctl is-active). */
import { Command, Option } from 'commander';
import { describeMachineId } from '../../engine/consent/machine-id.js';
import { isOptedIn, optInPath } from '../../engine/consent/opt-in.js';
import { isListening } from '../../engine/intake/socket-file.js';
import { dropLedger } from '../../engine/journal/drop-ledger.js';
import { readJournal } from '../../engine/journal/read-journal.js';
import { underRoot } from '../../engine/paths/root.js';
import { retentionSchema } from '../../schemas/retention.js';
import { loadProbeSettings } from '../../engine/probe/settings.js';
import { formatDuration } from '../../schemas/units.js';
import { EXIT_OK } from '../exit-codes.js';
import { rootOf } from '../probe-support.js';

const DEFAULT_JOURNAL = retentionSchema.parse(undefined).journal;

export interface StatusReport {
  readonly optedIn: boolean;
  readonly optInFile: string;
  readonly machineId: {
    readonly id: string | null;
    readonly source: 'static' | 'file' | 'none';
    readonly file: string;
    readonly assignedAt: string | null;
    readonly rotateEvery: string | null;
  };
  readonly agent: { readonly socket: string; readonly listening: boolean };
  readonly policy: string | null;
  /** Records not delivered, by reason, from the journal (the drop ledger). */
  readonly drops: Readonly<Record<string, number>>;
  readonly journal: string;
}

async function dropsFromJournal(root: string): Promise<{ journal: string; drops: Readonly<Record<string, number>> }> {
  const { loadAgentPolicy } = await import('../../engine/load/agent-policy.js');
  const { policy } = await loadAgentPolicy({ root });
  const journal = underRoot(root, policy?.retention.journal ?? DEFAULT_JOURNAL);
  const { entries } = await readJournal({ file: journal }).catch(() => ({ entries: [] }));
  return { journal, drops: dropLedger(entries) };
}

export async function collectStatus(root: string): Promise<StatusReport> {
  const settings = await loadProbeSettings({ root });
  const [optedIn, machine, listening, ledger] = await Promise.all([
    isOptedIn({ root }),
    describeMachineId({ root }),
    isListening(settings.socketPath),
    dropsFromJournal(root),
  ]);
  return {
    optedIn,
    optInFile: optInPath({ root }),
    machineId: {
      id: machine.id,
      source: machine.source,
      file: machine.file,
      assignedAt: machine.assignedAt?.toISOString() ?? null,
      rotateEvery: machine.source === 'static' ? null : formatDuration(settings.rotateEveryMs),
    },
    agent: { socket: settings.socketPath, listening },
    policy: settings.policyFile,
    drops: ledger.drops,
    journal: ledger.journal,
  };
}

function formatStatus(report: StatusReport): string {
  const { machineId, agent } = report;
  const identity =
    machineId.source === 'static'
      ? `${machineId.id} (static, from ${machineId.file})`
      : machineId.id === null
        ? `none yet (the agent assigns one at its first record; rotated every ${machineId.rotateEvery})`
        : `${machineId.id} (assigned ${machineId.assignedAt}, rotated every ${machineId.rotateEvery})`;
  return [
    `opt-in:     ${report.optedIn ? 'yes' : 'no'} (${report.optInFile} ${report.optedIn ? 'exists' : 'is missing; run "telem opt-in"'})`,
    `machine id: ${identity}`,
    `agent:      ${agent.listening ? `listening on ${agent.socket}` : `not running (nothing listens on ${agent.socket})`}`,
    `policy:     ${report.policy ?? 'built-in defaults (no usable policy in /etc/telemetrics)'}`,
    `drops:      ${formatDrops(report.drops)} (from ${report.journal})`,
  ].join('\n');
}

function formatDrops(drops: Readonly<Record<string, number>>): string {
  const entries = Object.entries(drops).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([reason, count]) => `${reason} ${count}`).join(', ');
}

export function statusCommand(): Command {
  return new Command('status')
    .summary('show consent, machine id and whether the agent is running')
    .description('Show whether this machine has opted in, its machine id, whether the agent listens on its socket, and the drop ledger (records not delivered, by reason, from the journal).\n\nExit status: 0.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const report = await collectStatus(rootOf(command));
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
      process.exitCode = EXIT_OK;
    });
}
