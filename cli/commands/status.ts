/** `telem status`: consent, machine id and whether the agent is listening (telemctl is-active). */
import { Command, Option } from 'commander';
import { describeMachineId } from '../../engine/consent/machine-id.js';
import { isOptedIn, optInPath } from '../../engine/consent/opt-in.js';
import { isListening } from '../../engine/intake/socket-file.js';
import { loadProbeSettings } from '../../engine/probe/settings.js';
import { formatDuration } from '../../schemas/units.js';
import { EXIT_OK } from '../exit-codes.js';
import { rootOf } from '../probe-support.js';

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
}

export async function collectStatus(root: string): Promise<StatusReport> {
  const settings = await loadProbeSettings({ root });
  const [optedIn, machine, listening] = await Promise.all([
    isOptedIn({ root }),
    describeMachineId({ root }),
    isListening(settings.socketPath),
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
  ].join('\n');
}

export function statusCommand(): Command {
  return new Command('status')
    .summary('show consent, machine id and whether the agent is running')
    .description('Show whether this machine has opted in, its machine id, and whether the agent listens on its socket.\n\nExit status: 0.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const report = await collectStatus(rootOf(command));
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
      process.exitCode = EXIT_OK;
    });
}
