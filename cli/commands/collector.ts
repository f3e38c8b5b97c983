/** `telem collector`: run the receiving server (v2 and v3 ingest, query API, web UI) until stopped; `telem collector token`: its API tokens. */
import { Command } from 'commander';
import { startCollector } from '../../engine/collector/collector.js';
import { loadCollectorSettings } from '../../engine/collector/load-settings.js';
import { createLogger } from '../../engine/log/logger.js';
import { EXIT_OK } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';
import { untilStopSignal } from '../stop-signal.js';
import { tokenCommand } from './collector-token.js';

interface CollectorOptions {
  listen?: string;
  listenApi?: string;
  db?: string;
  policy?: string;
  insecureNoAuth?: boolean;
}

export function collectorCommand(): Command {
  return new Command('collector')
    .summary('receive records over HTTP, store them, serve the query API and web UI')
    .description(
      'Run a collector: POST /v2/collector and POST / (upstream v2, fields in headers), POST /v3/collector (v3, JSON), ' +
        'GET /api/records, /api/stats, /api/crashes, /api/fleet and the web UI at /; GET /fleet/<channel>/control (staged ' +
        'rollout halts, polled by agents) and POST /api/fleet/rollouts/<id>/halt|resume (with an admin token). ' +
        'The web UI, /api/* and exports need a login (collector.auth: tokens, the default): an API token of "telem collector token create" ' +
        'as "Authorization: Bearer <token>", or a browser session from /login; ingest, /healthz and the control document need none. ' +
        'Settings come from the "collector" section of ' +
        '--policy (defaults otherwise); --listen, --listen-api and --db override it. Prints the URL on stdout once listening ' +
        '(with --listen-api, a second line: the API URL); stops on SIGINT or SIGTERM after writing every accepted record.\n\nExit status: 0 stopped cleanly, 1 invalid policy, ' +
        '2 usage error (bad option, unreadable policy, address in use, database unreachable, collector.auth: none beyond loopback).',
    )
    .option('--listen <host:port>', 'address to listen on, port 0 for any free port (default: 127.0.0.1:8080)')
    .option('--listen-api <host:port>', 'serve the web UI and /api/* here, and only ingest (and /healthz) on --listen (default: everything on --listen)')
    .option('--db <database>', 'sqlite:PATH (under --root) or postgres://user:password@host/db (default: sqlite:/var/lib/telem/collector.db)')
    .option('--policy <file>', 'policy file whose "collector" section configures tenants, limits, deadlines, allowed hosts, auth and retention')
    .option('--insecure-no-auth', 'serve the web UI and query API without login (collector.auth: none) even on an address beyond loopback; logged as a warning')
    .action(async (options: CollectorOptions, command: Command) => {
      const root = rootOf(command);
      const logger = createLogger({ name: 'telem-collector' });
      let collector;
      try {
        const settings = await loadCollectorSettings({ policy: options.policy, listen: options.listen, listenApi: options.listenApi, database: options.db });
        const insecureNoAuth = options.insecureNoAuth === true;
        collector = await startCollector({ settings: insecureNoAuth ? { ...settings, auth: 'none' } : settings, root, logger, insecureNoAuth });
      } catch (error) {
        process.exitCode = reportError('telem collector', error, (failure) => (failure.code === 'system' ? 'cannot start: ' : ''));
        return;
      }
      const split = collector.apiUrl !== collector.url;
      logger.info({ url: collector.url, ...(split ? { api_url: collector.apiUrl } : {}), database: collector.database }, 'collector listening');
      process.stdout.write(split ? `${collector.url}\n${collector.apiUrl}\n` : `${collector.url}\n`);

      logger.info({ signal: await untilStopSignal() }, 'stopping');
      await collector.close();
      process.exitCode = EXIT_OK;
    })
    .addCommand(tokenCommand().exitOverride().showHelpAfterError('(run "telem collector token --help" for usage)'));
}
