/**
 * Every documented telemetrics.conf key (reference §D.3): its type, upstream's compiled default,
 * the policy settings it decides and upstream's getter (clamping, or what would crash). The table
 * `satisfies Record<LegacyKey, KeyMapping>`, so a key left out or misspelt does not compile.
 * This folder is the only place that knows upstream key names.
 */
import path from 'node:path';
import { UPSTREAM_TID } from '../../schemas/destinations.js';
import type { KeyPath } from '../diagnostics/diagnostic.js';
import type { Reporter } from './report.js';

export const LEGACY_KEY_NAMES = [
  'server',
  'socket_path',
  'spool_dir',
  'rate_limit_strategy',
  'cainfo',
  'tidheader',
  'record_expiry',
  'spool_max_size',
  'spool_process_time',
  'record_burst_limit',
  'record_window_length',
  'byte_burst_limit',
  'byte_window_length',
  'rate_limit_enabled',
  'daemon_recycling_enabled',
  'record_retention_enabled',
  'record_server_delivery_enabled',
] as const;

export type LegacyKey = (typeof LEGACY_KEY_NAMES)[number];

/** Names the converted policy gives to what telemetrics.conf leaves unnamed. */
export const HTTP_DESTINATION = 'collector';
export const LOCAL_DESTINATION = 'local';
export const DEFAULT_ROUTE = 'default';

interface MappingBase<T> {
  /** Upstream's compiled default (src/configuration.h), used when the file does not set the key. */
  readonly default: T;
  /** Unit of an integer, as the template comments name it. */
  readonly unit?: 'minutes' | 'seconds' | 'KiB';
  /** Policy settings this key decides: for YAML comments and for pointing policy diagnostics at the conf line. */
  readonly policy: readonly KeyPath[];
  /** One line for the comment above the key when a telemetrics.conf is written. */
  readonly about: string;
  /** Upstream's getter: the value it would really use, with a message wherever it would clamp or fail. */
  readonly check?: (value: T, report: Reporter) => T;
  /** For an integer: what 0 means upstream, which is what it reads text without digits as. */
  readonly zero?: string;
}

export type KeyMapping = (MappingBase<string> & { readonly type: 'string' }) | (MappingBase<number> & { readonly type: 'integer' }) | (MappingBase<boolean> & { readonly type: 'boolean' });

// C's LONG_MAX (as the nearest double): upstream clamps minutes and KiB so seconds and bytes fit in it.
const LONG_MAX = Number(2n ** 63n - 1n);
/** Range upstream clamps spool_process_time to (TM_SPOOL_RUN_MIN/MAX). */
export const SPOOL_RUN_MIN_S = 120;
export const SPOOL_RUN_MAX_S = 300;
/** Longest rate window upstream's 60 minute slots can count. */
export const MAX_WINDOW_MINUTES = 59;
/** Bytes upstream adds to the byte counter per record, whatever its size (reference §G.4). */
export const UPSTREAM_BYTES_PER_RECORD = 4;

/** Upstream's compiled defaults (src/configuration.h, configure.ac). */
const DEFAULTS = {
  server: 'https://clr.telemetry.intel.com/v3/collector',
  socket_path: '/run/telem-0',
  spool_dir: '/var/spool/telemetry',
  rate_limit_strategy: 'spool',
  cainfo: '',
  tidheader: `X-Telemetry-TID: ${UPSTREAM_TID}`,
  record_expiry: 1200,
  spool_max_size: 5120,
  spool_process_time: 120,
  record_burst_limit: 1000,
  record_window_length: 15,
  byte_burst_limit: -1,
  byte_window_length: 20,
  rate_limit_enabled: true,
  daemon_recycling_enabled: true,
  record_retention_enabled: false,
  record_server_delivery_enabled: true,
} satisfies Record<LegacyKey, string | number | boolean>;

/** The value of every key, as upstream's getters return it. */
export type LegacySettings = { -readonly [K in LegacyKey]: Widen<(typeof DEFAULTS)[K]> };

type Widen<T> = T extends string ? string : T extends number ? number : boolean;

const DESTINATION = ['destinations', HTTP_DESTINATION] as const;
const RATE_LIMIT = ['routes', 0, 'rate_limit'] as const;

function clampAbove(key: LegacyKey, unit: string, limit: number) {
  return (value: number, report: Reporter): number => {
    if (value <= limit) return value;
    report.warn('legacy-clamped', `${key}=${value} is above upstream's limit: upstream used ${limit} ${unit}, and so does the policy`);
    return limit;
  };
}

function window(key: 'record_window_length' | 'byte_window_length') {
  return (value: number, report: Reporter): number => {
    if (value >= 0 && value <= MAX_WINDOW_MINUTES) return value;
    report.error(
      'legacy-window-out-of-range',
      `${key}=${value} is outside 0..${MAX_WINDOW_MINUTES} minutes: upstream's telempostd exits at the first record it goes to send, whether rate limiting is enabled or not`,
      `write a window of at most ${MAX_WINDOW_MINUTES} minutes, such as ${key}=${MAX_WINDOW_MINUTES}; a policy can use longer windows with algorithm "sliding"`,
    );
    return DEFAULTS[key];
  };
}

function notEmpty(key: LegacyKey, consequence: string) {
  return (value: string, report: Reporter): string => {
    if (value !== '') return value;
    report.error('legacy-empty-value', `${key} is empty: ${consequence}`, `set ${key} or remove the line to use the compiled default ${JSON.stringify(DEFAULTS[key])}`);
    return DEFAULTS[key] as string;
  };
}

/** A path the agent resolves under --root must start with "/"; a relative one would resolve against its working directory. */
function absolute(key: LegacyKey) {
  return (value: string, report: Reporter): string => {
    if (value === '' || path.isAbsolute(value)) return value;
    report.error(
      'legacy-relative-path',
      `${key}=${value} must be an absolute path: upstream resolves it against its daemon's working directory, and telem would look outside --root`,
      `start it with "/", such as ${key}=${DEFAULTS[key] === '' ? '/etc/ssl/certs/ca-certificates.crt' : String(DEFAULTS[key])}`,
    );
    return DEFAULTS[key] as string;
  };
}

/** "X-Telemetry-TID: 6907…" → header name and tenant id, or undefined when it is not a header line. */
export function splitTidHeader(text: string): { name: string; tid: string } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const name = text.slice(0, colon).trim();
  const tid = text.slice(colon + 1).trim();
  if (!/^[!#-'*+.0-9A-Z^-z|~-]+$/.test(name) || tid === '') return undefined;
  return { name, tid };
}

const KEYS = {
  server: {
    type: 'string',
    default: DEFAULTS.server,
    // The URL's path decides the protocol too (see to-policy.ts).
    policy: [
      [...DESTINATION, 'url'],
      [...DESTINATION, 'protocol'],
    ],
    about: 'URL records are POSTed to',
    check: (value, report) => {
      const checked = notEmpty('server', 'upstream would POST every record to an empty URL and never deliver one')(value, report);
      if (checked !== value) return checked;
      if (!/^https?:\/\/[^\s]+$/i.test(value) || !URL.canParse(value)) {
        report.error(
          'legacy-invalid-url',
          `server=${value} is not an http:// or https:// URL: upstream would fail every delivery and keep retrying`,
          'write the collector URL, such as server=https://telemetry.example.org/v3/collector',
        );
        return DEFAULTS.server;
      }
      return value;
    },
  },
  socket_path: {
    type: 'string',
    default: DEFAULTS.socket_path,
    policy: [['intake', 'socket']],
    about: 'unix socket probes send records to',
    check: (value, report) => absolute('socket_path')(notEmpty('socket_path', 'upstream could not create its socket and no probe could send a record')(value, report), report),
  },
  spool_dir: {
    type: 'string',
    default: DEFAULTS.spool_dir,
    policy: [['spool', 'dir']],
    about: 'directory holding records until they are delivered',
    check: (value, report) => absolute('spool_dir')(notEmpty('spool_dir', 'upstream could not stage a single record')(value, report), report),
  },
  rate_limit_strategy: {
    type: 'string',
    default: DEFAULTS.rate_limit_strategy,
    policy: [[...RATE_LIMIT, 'when_exceeded']],
    about: 'what happens to a record over the rate limit: spool (keep it for later) or drop',
    check: (value, report) => {
      const lower = value.toLowerCase();
      if (lower === 'spool' || lower === 'drop') return lower;
      report.warn(
        'legacy-strategy-unknown',
        `rate_limit_strategy=${value} is neither "spool" nor "drop": upstream uses "spool", and so does the policy`,
        'write rate_limit_strategy=spool or rate_limit_strategy=drop',
      );
      return 'spool';
    },
  },
  cainfo: {
    type: 'string',
    default: DEFAULTS.cainfo,
    policy: [[...DESTINATION, 'ca_file']],
    about: 'PEM file of CA certificates for https (empty: the system store)',
    check: (value, report) => absolute('cainfo')(value, report),
  },
  tidheader: {
    type: 'string',
    default: DEFAULTS.tidheader,
    policy: [
      [...DESTINATION, 'tid_header'],
      [...DESTINATION, 'tid'],
    ],
    about: 'tenant id header line sent with every record ("\\s" is a space)',
    check: (value, report) => {
      if (splitTidHeader(value)) return value;
      report.error(
        'legacy-invalid-tidheader',
        `tidheader=${value} is not a "Name: tenant-id" header line: upstream would send a malformed or empty tenant header`,
        `write tidheader=X-Telemetry-TID:\\s${UPSTREAM_TID} with your tenant id`,
      );
      return DEFAULTS.tidheader;
    },
  },
  record_expiry: {
    type: 'integer',
    default: DEFAULTS.record_expiry,
    unit: 'minutes',
    policy: [['spool', 'expiry']],
    about: 'records older than this many minutes are deleted instead of delivered',
    zero: 'every spooled record expires at once',
    check: (value, report) => {
      if (value < 0) {
        report.error(
          'legacy-negative-expiry',
          `record_expiry=${value} is negative: upstream deletes every spooled record as expired and its spool loop exits`,
          'write how many minutes a record may wait, such as record_expiry=1200 (20 hours)',
        );
        return DEFAULTS.record_expiry;
      }
      return clampAbove('record_expiry', 'minutes', Math.floor(LONG_MAX / 60))(value, report);
    },
  },
  spool_max_size: {
    type: 'integer',
    default: DEFAULTS.spool_max_size,
    unit: 'KiB',
    policy: [['spool', 'max_size']],
    about: 'most disk space the spool may use, in KiB (-1: no quota)',
    zero: 'a quota of 0 KiB: every record arriving while delivery fails is dropped',
    check: (value, report) => {
      if (value === 0) {
        report.error(
          'legacy-spool-size-zero',
          'spool_max_size=0 leaves the spool no room: upstream drops every record that arrives while delivery is failing, and telem would drop every record',
          'use a positive size in KiB, such as spool_max_size=5120, or spool_max_size=-1 for no quota',
        );
        return DEFAULTS.spool_max_size;
      }
      return value < 0 ? -1 : clampAbove('spool_max_size', 'KiB', Math.floor(LONG_MAX / 1024))(value, report);
    },
  },
  spool_process_time: {
    type: 'integer',
    default: DEFAULTS.spool_process_time,
    unit: 'seconds',
    policy: [['spool', 'retry', 'interval']],
    about: `seconds between retries of spooled records (${SPOOL_RUN_MIN_S} to ${SPOOL_RUN_MAX_S})`,
    zero: `raised to its minimum of ${SPOOL_RUN_MIN_S} seconds`,
    check: (value, report) => {
      const clamped = Math.min(Math.max(value, SPOOL_RUN_MIN_S), SPOOL_RUN_MAX_S);
      if (clamped !== value) {
        const side = value < SPOOL_RUN_MIN_S ? "below upstream's minimum" : "above upstream's maximum";
        report.warn(
          'legacy-clamped',
          `spool_process_time=${value} is ${side}: upstream used ${clamped} seconds, and so does the policy`,
          `write spool_process_time=${clamped} to say what happens; in a policy, spool.retry.interval takes any duration`,
        );
      }
      return clamped;
    },
  },
  record_window_length: {
    type: 'integer',
    default: DEFAULTS.record_window_length,
    unit: 'minutes',
    policy: [[...RATE_LIMIT, 'records']],
    about: `minutes over which record_burst_limit counts (0 to ${MAX_WINDOW_MINUTES})`,
    zero: 'a window that counts nothing',
    check: (value, report) => window('record_window_length')(value, report),
  },
  byte_window_length: {
    type: 'integer',
    default: DEFAULTS.byte_window_length,
    unit: 'minutes',
    policy: [[...RATE_LIMIT, 'bytes']],
    about: `minutes over which byte_burst_limit counts (0 to ${MAX_WINDOW_MINUTES})`,
    zero: 'a window that counts nothing',
    check: (value, report) => window('byte_window_length')(value, report),
  },
  record_burst_limit: {
    type: 'integer',
    default: DEFAULTS.record_burst_limit,
    policy: [[...RATE_LIMIT, 'records']],
    about: 'most records sent per window (-1: no record limit)',
    zero: 'a limit of 0 records: every record is held back',
    check: (value) => (value < 0 ? -1 : value),
  },
  byte_burst_limit: {
    type: 'integer',
    default: DEFAULTS.byte_burst_limit,
    policy: [[...RATE_LIMIT, 'bytes']],
    about: 'most bytes sent per window (-1: no byte limit)',
    zero: 'a limit of 0 bytes: every record is held back',
    check: (value) => (value < 0 ? -1 : value),
  },
  rate_limit_enabled: {
    type: 'boolean',
    default: DEFAULTS.rate_limit_enabled,
    policy: [RATE_LIMIT],
    about: 'whether the rate limits above apply at all',
  },
  daemon_recycling_enabled: {
    type: 'boolean',
    default: DEFAULTS.daemon_recycling_enabled,
    policy: [['intake', 'recycle_after']],
    about: 'whether the daemons exit after 5 minutes without records (they are socket activated)',
  },
  record_retention_enabled: {
    type: 'boolean',
    default: DEFAULTS.record_retention_enabled,
    policy: [['retention', 'keep_payloads']],
    about: 'whether payloads of the latest records are kept in /var/log/telemetry/records',
  },
  record_server_delivery_enabled: {
    type: 'boolean',
    default: DEFAULTS.record_server_delivery_enabled,
    policy: [DESTINATION, ['destinations', LOCAL_DESTINATION]],
    about: 'whether records are sent to the server at all (false: journal and retention only)',
  },
} satisfies Record<LegacyKey, KeyMapping>;

export const LEGACY_KEYS: Readonly<Record<LegacyKey, KeyMapping>> = KEYS;

export function isLegacyKey(name: string): name is LegacyKey {
  return (LEGACY_KEY_NAMES as readonly string[]).includes(name);
}

/** Upstream's compiled defaults for every key. */
export function compiledDefaults(): LegacySettings {
  return { ...DEFAULTS };
}
