/** `telem run`: the agent. */
import { Command } from 'commander';
import { startRuntime } from '../../engine/agent/runtime.js';
import { createLogger } from '../../engine/log/logger.js';
import { EXIT_OK } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';
import { untilStopSignal } from '../stop-signal.js';

export function runCommand(): Command {
  return new Command('run')
    .summary('run the agent: intake socket → spool → delivery, from a policy')
    .description(
      'Run the agent compiled from a policy: records arrive on the intake socket (libtelemetry compatible), ' +
        'are routed, made durable in the spool and delivered to the destinations of their routes.\n\n' +
        'Without --policy, looks under the root for /etc/telemetrics/telem.policy.{yaml,yml,json,js,mjs,ts}, then ' +
        "upstream's telemetrics.conf (/etc/telemetrics, then /usr/share/defaults/telemetrics), then runs on upstream's " +
        'compiled defaults. An explicit --policy path is used as given.\n\n' +
        'SIGHUP or a change of the policy file reloads it (an invalid new policy is reported and the running one stays). ' +
        'SIGTERM or SIGINT stops taking records, finishes what is in flight and exits; undelivered records stay in the spool.\n\n' +
        'Only one agent runs on a spool directory: a second one started on the same root exits with status 2 before it ' +
        'touches anything of the running one.\n\n' +
        'Exit status: 0 after a clean stop, 1 when the policy has errors, 2 when it cannot be read or the agent cannot ' +
        'start (the spool is in use by another agent, the socket is taken, the metrics address is in use).',
    )
    .option('-p, --policy <file>', 'policy file or telemetrics.conf to run')
    .option('--metrics <host:port>', 'serve Prometheus metrics at /metrics and status at /status (e.g. 127.0.0.1:9464)')
    .action(async (options: { policy?: string; metrics?: string }, command: Command) => {
      const logger = createLogger({ name: 'telem-agent' });
      let runtime;
      let idle: () => void = () => undefined;
      const idled = new Promise<'idle'>((resolve) => (idle = () => resolve('idle')));
      try {
        runtime = await startRuntime({ policy: options.policy, root: rootOf(command), logger, metrics: options.metrics, onIdle: () => idle() });
      } catch (error) {
        process.exitCode = reportError('telem run', error, () => 'cannot start: ');
        return;
      }
      const started = runtime;
      process.on('SIGHUP', () => void started.reload());
      logger.info({ reason: await Promise.race([untilStopSignal(), idled]) }, 'stopping');
      await started.stop();
      process.exitCode = EXIT_OK;
    });
}
