/**
 * Upstream settings → a policy as written (the plain input that validatePolicyValue checks).
 * One http destination (or a local one when server delivery is off), one route for every record
 * carrying upstream's rate limits as "minute-slots", and the spool, intake and retention values.
 * Where upstream's meaning differs from the policy's (byte limits, a zero window, "drop"), the
 * policy does the sane thing and a warning says so.
 */
import { protocolInUrl } from '../../schemas/destinations.js';
import type { PolicyInput } from '../../schemas/policy.js';
import { formatDuration, formatSize } from '../../schemas/units.js';
import { DEFAULT_ROUTE, HTTP_DESTINATION, LOCAL_DESTINATION, type LegacyKey, type LegacySettings, UPSTREAM_BYTES_PER_RECORD, splitTidHeader } from './keys.js';
import { ignoreReports, type ReportFor } from './report.js';

type Route = NonNullable<PolicyInput['routes']>[number];
type RateLimit = NonNullable<Route['rate_limit']>;

const POLICY_NAME = 'telemetrics-conf';
const RETAINED_PAYLOADS = 100;
const RECYCLE_AFTER = '5m';

export interface ToPolicyOptions {
  /** Keys the file sets (the rest are compiled defaults); used to warn about keys that have no effect. */
  readonly present?: ReadonlySet<LegacyKey>;
  readonly reportFor?: ReportFor;
  /** metadata.description of the converted policy. */
  readonly description?: string;
  /** Names to give the destination and the route (the converted policy's own by default). */
  readonly destinationName?: string;
  readonly routeName?: string;
}

interface RateKind {
  readonly kind: 'record' | 'byte';
  readonly burst: number;
  readonly window: number;
}

/** One kind of limit as a policy rate, or null when upstream would never hold a record back for it. */
function rateOf(rate: RateKind, reportFor: ReportFor): string | null {
  const { kind, burst, window } = rate;
  if (burst < 0) return null;
  const increment = kind === 'record' ? 1 : UPSTREAM_BYTES_PER_RECORD;
  const amount = kind === 'record' ? String(burst) : formatSize(burst);
  if (window === 0) {
    // Upstream's window of 0 sums no slots: each record is compared with the limit alone.
    const report = reportFor(`${kind}_window_length`);
    if (burst >= increment) {
      report.warn(
        'legacy-window-zero',
        `${kind}_window_length=0 counts nothing: upstream compares each record with ${kind}_burst_limit=${burst} alone and never holds one back; the policy has no ${kind} limit`,
        `give the window a length from 1 to 59 minutes to limit ${kind}s`,
      );
      return null;
    }
    report.warn('legacy-window-zero', `${kind}_window_length=0 with ${kind}_burst_limit=${burst}: upstream holds back every record, and so does the policy (${amount}/1m)`);
    return `${amount}/1m`;
  }
  return `${amount}/${window}m`;
}

function rateLimitOf(settings: LegacySettings, options: ToPolicyOptions, reportFor: ReportFor): RateLimit | null {
  const present = options.present ?? new Set<LegacyKey>();
  // Upstream skips rate limiting for records it keeps locally, before looking at any limit.
  const off = !settings.record_server_delivery_enabled
    ? 'record_server_delivery_enabled=false, and upstream limits only what it sends'
    : !settings.rate_limit_enabled
      ? 'rate_limit_enabled=false'
      : undefined;
  if (off !== undefined) {
    const keys = ['rate_limit_enabled', 'record_burst_limit', 'byte_burst_limit', 'rate_limit_strategy'] as const;
    for (const key of keys) {
      if (present.has(key) && !(key === 'rate_limit_enabled' && !settings.rate_limit_enabled)) {
        reportFor(key).warn('legacy-key-unused', `${key} has no effect: ${off}`);
      }
    }
    return null;
  }
  const records = rateOf({ kind: 'record', burst: settings.record_burst_limit, window: settings.record_window_length }, reportFor);
  const bytes = rateOf({ kind: 'byte', burst: settings.byte_burst_limit, window: settings.byte_window_length }, reportFor);
  if (bytes !== null && settings.byte_window_length > 0) {
    const perRecord = Math.floor(settings.byte_burst_limit / UPSTREAM_BYTES_PER_RECORD);
    reportFor('byte_burst_limit').warn(
      'legacy-byte-count',
      `byte_burst_limit=${settings.byte_burst_limit} counted ${UPSTREAM_BYTES_PER_RECORD} bytes per record upstream (at most ${perRecord} records per ${settings.byte_window_length} minutes); the policy counts real payload bytes (${bytes})`,
      'raise routes[0].rate_limit.bytes in the policy to the payload volume you mean to allow',
    );
  }
  if (records === null && bytes === null) return null;
  const whenExceeded = settings.rate_limit_strategy === 'drop' ? 'drop' : 'spool';
  if (whenExceeded === 'drop') {
    reportFor('rate_limit_strategy').warn(
      'legacy-drop-on-failure',
      'rate_limit_strategy=drop: upstream also dropped records whose delivery failed; telem drops only records over the rate limit and retries failed deliveries',
    );
  }
  return { records, bytes, when_exceeded: whenExceeded, algorithm: 'minute-slots' };
}

/**
 * The protocol upstream's own versions spoke to this URL: ≤ 2.3.5 sent headers to /v2/collector
 * (the only path the Python backend serves), ≥ 2.4 sends JSON to /v3/collector. A server that
 * gets the other protocol refuses every record, so the path decides.
 */
function protocolFor(server: string, present: boolean, reportFor: ReportFor): 'v2' | 'v3' {
  const protocol = protocolInUrl(server) === 'v2' ? 'v2' : 'v3';
  if (present) {
    reportFor('server').note(
      'legacy-protocol-from-url',
      protocol === 'v2'
        ? `server=${server} has a /v2/ path: the policy sends protocol v2 (record fields as HTTP headers), as upstream 2.3 and earlier did and the v2 backend expects`
        : `server=${server} has no /v2/ path: the policy sends protocol v3 (a JSON body), as upstream 2.4 and later do`,
    );
  }
  return protocol;
}

export function settingsToPolicy(settings: LegacySettings, options: ToPolicyOptions = {}): PolicyInput {
  const reportFor = options.reportFor ?? ignoreReports;
  const present = options.present ?? new Set<LegacyKey>();
  const delivering = settings.record_server_delivery_enabled;
  const destinationName = options.destinationName ?? (delivering ? HTTP_DESTINATION : LOCAL_DESTINATION);
  let destination: NonNullable<PolicyInput['destinations']>[string];
  if (delivering) {
    // read-settings has already replaced a tidheader that is not a header line.
    const tid = splitTidHeader(settings.tidheader) ?? { name: 'X-Telemetry-TID', tid: settings.tidheader };
    destination = {
      type: 'http',
      protocol: protocolFor(settings.server, present.has('server'), reportFor),
      url: settings.server,
      tid_header: tid.name,
      tid: tid.tid,
      ca_file: settings.cainfo === '' ? null : settings.cainfo,
    };
  } else {
    destination = { type: 'local' };
    for (const key of ['server', 'tidheader', 'cainfo'] as const) {
      if (present.has(key)) reportFor(key).warn('legacy-key-unused', `${key} has no effect: record_server_delivery_enabled=false keeps records on this machine`);
    }
  }

  return {
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: POLICY_NAME, description: options.description ?? 'Converted from telemetrics.conf.' },
    intake: {
      socket: settings.socket_path,
      recycle_after: settings.daemon_recycling_enabled ? RECYCLE_AFTER : null,
    },
    spool: {
      dir: settings.spool_dir,
      max_size: settings.spool_max_size < 0 ? 'unlimited' : formatSize(settings.spool_max_size * 1024),
      expiry: formatDuration(settings.record_expiry * 60_000),
      retry: { interval: formatDuration(settings.spool_process_time * 1000) },
    },
    destinations: { [destinationName]: destination },
    routes: [
      {
        name: options.routeName ?? DEFAULT_ROUTE,
        match: { classification: '*' },
        to: [destinationName],
        rate_limit: rateLimitOf(settings, options, reportFor),
      },
    ],
    retention: { keep_payloads: settings.record_retention_enabled ? RETAINED_PAYLOADS : 0 },
  };
}
