/** `telem collector`: run the receiving server (v2 and v3 ingest, query API, web UI) until stopped. */
import { Command } from 'commander';
import { type ListenError, ListenSettingError, startCollector } from '../../engine/collector/collector.js';
import { type CollectorSettings, defaultCollectorSettings } from '../../engine/collector/settings.js';
import { DatabaseSettingError } from '../../engine/collector/storage/open-store.js';
import { formatText } from '../../engine/diagnostics/format-text.js';
import { createLogger } from '../../engine/log/logger.js';
import { resolveRoot } from '../../engine/paths/root.js';
import { checkPolicyFile } from '../../engine/validate/check-file.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { untilStopSignal } from '../stop-signal.js';

interface CollectorOptions {
  listen?: string;
  listenApi?: string;
  db?: string;
  policy?: string;
}

export function collectorCommand(): Command {
  return new Command('collector')
    .summary('receive records over HTTP, store them, serve the query API and web UI')
    .description(
      'Run a collector: POST /v2/collector and POST / (upstream v2, fields in headers), POST /v3/collector (v3, JSON), ' +
        'GET /api/records, /api/stats, /api/crashes and the web UI at /. Settings come from the "collector" section of ' +
        '--policy (defaults otherwise); --listen, --listen-api and --db override it. Prints the URL on stdout once listening ' +
        '(with --listen-api, a second line: the API URL); stops on SIGINT or SIGTERM after writing every accepted record.\n\nExit status: 0 stopped cleanly, 1 invalid policy, ' +
        '2 usage error (bad option, unreadable policy, address in use, database unreachable).',
    )
    .option('--listen <host:port>', 'address to listen on, port 0 for any free port (default: 127.0.0.1:8080)')
    .option('--listen-api <host:port>', 'serve the web UI and /api/* here, and only ingest (and /healthz) on --listen (default: everything on --listen)')
    .option('--db <database>', 'sqlite:PATH (under --root) or postgres://user:password@host/db (default: sqlite:/var/lib/telem/collector.db)')
    .option('--policy <file>', 'policy file whose "collector" section configures tenants, limits, deadlines, allowed hosts and retention')
    .action(async (options: CollectorOptions, command: Command) => {
      const root = resolveRoot({ root: command.optsWithGlobals<{ root?: string }>().root });
      let settings: CollectorSettings = defaultCollectorSettings();
      if (options.policy !== undefined) {
        const checked = await checkPolicyFile({ file: options.policy });
        if (!checked.policy) {
          process.stderr.write(formatText(checked.diagnostics));
          process.exitCode = checked.unreadable ? EXIT_USAGE : EXIT_INVALID;
          return;
        }
        settings = checked.policy.collector;
      }
      settings = {
        ...settings,
        ...(options.listen === undefined ? {} : { listen: options.listen }),
        ...(options.listenApi === undefined ? {} : { listen_api: options.listenApi }),
        ...(options.db === undefined ? {} : { database: options.db }),
      };

      const logger = createLogger({ name: 'telem-collector' });
      let collector;
      try {
        collector = await startCollector({ settings, root, logger });
      } catch (error) {
        const known = error instanceof ListenSettingError || error instanceof DatabaseSettingError;
        process.stderr.write(`telem collector: ${known ? (error as Error).message : describeStartError(error, settings)}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const split = collector.apiUrl !== collector.url;
      logger.info({ url: collector.url, ...(split ? { api_url: collector.apiUrl } : {}), database: collector.database }, 'collector listening');
      process.stdout.write(split ? `${collector.url}\n${collector.apiUrl}\n` : `${collector.url}\n`);

      logger.info({ signal: await untilStopSignal() }, 'stopping');
      await collector.close();
      process.exitCode = EXIT_OK;
    });
}

function describeStartError(error: unknown, settings: CollectorSettings): string {
  const { code, listen = settings.listen } = error as Partial<ListenError>;
  if (code === 'EADDRINUSE') return `cannot listen on ${listen}: the address is in use`;
  if (code === 'EACCES') return `cannot listen on ${listen}: permission denied`;
  return `cannot start: ${(error as Error).message ?? String(error)}`;
}
