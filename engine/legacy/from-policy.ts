/**
 * A resolved policy → the telemetrics.conf settings that come closest. telemetrics.conf knows one
 * server, one set of rate limits for every record and a few spool values; the policy's first
 * route and its first destination supply them. What is lost is found by converting the settings
 * back and comparing (see expressible.ts), so nothing is dropped without a message.
 */
import type { ResolvedPolicy, ResolvedRoute } from '../../schemas/resolved.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { type LegacySettings, MAX_WINDOW_MINUTES, SPOOL_RUN_MAX_S, SPOOL_RUN_MIN_S, UPSTREAM_BYTES_PER_RECORD, compiledDefaults } from './keys.js';

const MINUTE_MS = 60_000;

export interface ConfChoice {
  readonly settings: LegacySettings;
  /** Names of the route and destination the settings stand for, so the comparison lines them up. */
  readonly routeName: string | undefined;
  readonly destinationName: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

type Rate = { readonly limit: number; readonly windowMs: number } | null;

/** Burst and window for one rate, or disabled when the window is not whole minutes under an hour. */
function burstAndWindow(rate: Rate, defaultWindow: number): { burst: number; window: number } {
  if (!rate) return { burst: -1, window: defaultWindow };
  const minutes = rate.windowMs / MINUTE_MS;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_WINDOW_MINUTES) return { burst: -1, window: defaultWindow };
  return { burst: rate.limit, window: minutes };
}

function applyRateLimit(settings: LegacySettings, route: ResolvedRoute | undefined, diagnostics: Diagnostic[]): void {
  const limit = route?.rate_limit;
  if (!limit) {
    settings.rate_limit_enabled = false;
    return;
  }
  const records = burstAndWindow(limit.records, settings.record_window_length);
  const bytes = burstAndWindow(limit.bytes, settings.byte_window_length);
  settings.record_burst_limit = records.burst;
  settings.record_window_length = records.window;
  settings.byte_burst_limit = bytes.burst;
  settings.byte_window_length = bytes.window;
  settings.rate_limit_enabled = records.burst >= 0 || bytes.burst >= 0;
  settings.rate_limit_strategy = limit.when_exceeded;
  if (bytes.burst >= 0) {
    diagnostics.push({
      code: 'conf-byte-count',
      severity: 'warning',
      message: `upstream counts ${UPSTREAM_BYTES_PER_RECORD} bytes per record against byte_burst_limit, not payload bytes: ${bytes.burst} bytes per ${bytes.window} minutes lets about ${Math.floor(bytes.burst / UPSTREAM_BYTES_PER_RECORD)} records through`,
      path: ['routes', route.index, 'rate_limit', 'bytes'],
    });
  }
}

export function policyToSettings(policy: ResolvedPolicy): ConfChoice {
  const settings = compiledDefaults();
  const diagnostics: Diagnostic[] = [];
  const route = policy.routes[0];
  const destinationName = route?.to[0] ?? Object.keys(policy.destinations)[0];
  const destination = destinationName === undefined ? undefined : policy.destinations[destinationName];

  if (destination?.type === 'http') {
    settings.server = destination.url;
    settings.tidheader = `${destination.tid_header}: ${destination.tid}`;
    settings.cainfo = destination.ca_file ?? '';
  } else {
    // A local (or file) destination, or none: upstream can only keep records on the machine.
    settings.record_server_delivery_enabled = false;
  }
  applyRateLimit(settings, route, diagnostics);

  settings.socket_path = policy.intake.socket;
  settings.daemon_recycling_enabled = policy.intake.recycle_after !== null;
  settings.spool_dir = policy.spool.dir;
  settings.spool_max_size = policy.spool.max_size === null ? -1 : Math.ceil(policy.spool.max_size / 1024);
  settings.record_expiry = Math.ceil(policy.spool.expiry / MINUTE_MS);
  settings.spool_process_time = Math.min(Math.max(Math.round(policy.spool.retry.interval / 1000), SPOOL_RUN_MIN_S), SPOOL_RUN_MAX_S);
  settings.record_retention_enabled = policy.retention.keep_payloads > 0;

  return { settings, routeName: route?.name, destinationName, diagnostics };
}
