#!/usr/bin/env node
/**
 * Upstream's telemctl for scripts that call it (reference §E.10): opt-in, opt-out, is-active and
 * journal behave as upstream's; start/stop/restart belong to the service manager that runs
 * `telem run`, so they say so and fail instead of pretending. Paths resolve under TELEM_ROOT.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isOptedIn } from '../../engine/consent/opt-in.js';
import { isListening } from '../../engine/intake/socket-file.js';
import { resolveRoot } from '../../engine/paths/root.js';
import { loadProbeSettings } from '../../engine/probe/settings.js';
import { runOptIn } from '../commands/opt-in.js';
import { runOptOut } from '../commands/opt-out.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';

const USAGE = `Usage: telemctl COMMAND

Commands:
  opt-in      allow this machine to send telemetry (creates /etc/telemetrics/opt-in)
  opt-out     stop telemetry (removes the opt-in marker and the machine id)
  is-active   show whether the telem agent is listening
  journal     show the record journal (same options as "telem journal")
  start, stop, restart
              not handled here: the telem agent ("telem run") is run by the service manager
`;

async function isActive(root: string): Promise<number> {
  const { socketPath } = await loadProbeSettings({ root });
  const state = (await isListening(socketPath)) ? 'active' : 'inactive';
  // One agent does what telemprobd and telempostd did; both lines stay for scripts that read them.
  process.stdout.write(`telemprobd : ${state}\ntelempostd : ${state}\n`);
  return EXIT_OK;
}

async function serviceCommand(command: string, root: string): Promise<number> {
  if (command !== 'stop' && !(await isOptedIn({ root }))) {
    process.stderr.write('Opt in to telemetry first.\n');
    return EXIT_INVALID;
  }
  process.stderr.write(`telemctl ${command}: the telem agent ("telem run") is managed by its service manager; use it to ${command} the agent (for example: systemctl ${command} telem)\n`);
  return EXIT_INVALID;
}

function journal(args: readonly string[]): Promise<number> {
  const telem = fileURLToPath(new URL('../telem.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [telem, 'journal', ...args], { stdio: 'inherit' });
    child.on('error', () => resolve(EXIT_INVALID));
    child.on('close', (code) => resolve(code ?? EXIT_INVALID));
  });
}

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  const root = resolveRoot();
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (command === 'journal') return journal(rest);
  const known = ['opt-in', 'opt-out', 'is-active', 'start', 'stop', 'restart'];
  if (command === undefined || !known.includes(command) || rest.length > 0) {
    if (command !== undefined && !known.includes(command)) process.stderr.write('Unknown command passed to telemctl\n');
    process.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  if (command === 'opt-in') return runOptIn(root);
  if (command === 'opt-out') return runOptOut(root);
  if (command === 'is-active') return isActive(root);
  return serviceCommand(command, root);
}

process.exitCode = await main(process.argv.slice(2));
