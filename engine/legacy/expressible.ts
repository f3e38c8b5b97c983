/**
 * What a telemetrics.conf cannot say: the policy converted to settings and back, compared with
 * the original. Each difference is named by its key path (a whole destination or route when it
 * is missing altogether), so the list stays complete as the policy model grows.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { formatDuration, formatSize } from '../../schemas/units.js';
import { type Diagnostic, type DiagnosticCode, type KeyPath, formatKeyPath } from '../diagnostics/diagnostic.js';

/** Parts of a resolved policy that are bookkeeping, not behaviour. */
const IGNORED = new Set(['metadata', 'source', 'routeNames', '$schema']);
const DURATION_KEYS = new Set([
  'expiry',
  'interval',
  'max_interval',
  'batch_window',
  'read_timeout',
  'first_byte_timeout',
  'recycle_after',
  'timeout',
  'connect_timeout',
  'rotate_every',
  'poll_interval',
  'status_interval',
]);
const SIZE_KEYS = new Set(['max_size', 'max_payload']);

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRate(value: unknown): value is { limit: number; windowMs: number } {
  return isPlainObject(value) && typeof value.limit === 'number' && typeof value.windowMs === 'number';
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Difference {
  readonly path: KeyPath;
  readonly original: unknown;
  /** What the converted file gives; undefined when it leaves the setting out. */
  readonly converted: unknown;
}

function differences(original: unknown, converted: unknown, path: KeyPath): Difference[] {
  if (equal(original, converted)) return [];
  if (isPlainObject(original) && isPlainObject(converted) && !isRate(original) && !isRate(converted)) {
    const keys = new Set([...Object.keys(original), ...Object.keys(converted)]);
    return [...keys]
      .filter((key) => !(path.length === 0 && IGNORED.has(key)))
      .flatMap((key) => (key in converted ? differences(original[key], converted[key], [...path, key]) : [{ path: [...path, key], original: original[key], converted: undefined }]));
  }
  // Named items (routes) are compared one by one; any other list is one setting.
  if (Array.isArray(original) && Array.isArray(converted) && [...original, ...converted].every((item) => isPlainObject(item) && 'name' in item)) {
    const length = Math.max(original.length, converted.length);
    return Array.from({ length }, (_, index) =>
      index < converted.length ? differences(original[index], converted[index], [...path, index]) : [{ path: [...path, index], original: original[index], converted: undefined }],
    ).flat();
  }
  return [{ path, original, converted }];
}

/** Human text for a resolved value: durations and sizes back in units, rates as "100/15m". */
function describe(path: KeyPath, value: unknown): string {
  const last = path.at(-1);
  if (isRate(value)) return `${last === 'bytes' ? formatSize(value.limit) : value.limit}/${formatDuration(value.windowMs)}`;
  if (typeof value === 'number' && typeof last === 'string') {
    if (DURATION_KEYS.has(last)) return formatDuration(value);
    if (SIZE_KEYS.has(last)) return formatSize(value);
  }
  return JSON.stringify(value);
}

function isScalar(value: unknown): boolean {
  return value === null || isRate(value) || typeof value !== 'object';
}

function label(path: KeyPath, value: unknown): string {
  const name = path[0] === 'routes' && path.length === 2 && isPlainObject(value) ? ` (route "${String(value.name)}")` : '';
  return `${formatKeyPath(path)}${name}`;
}

/**
 * Losses that change what leaves the machine: without them the converted file would send what
 * the policy keeps back, or speak a protocol its server refuses. They are errors unless forced.
 * "*" stands for any destination name.
 */
const UNSAFE: readonly { readonly path: KeyPath; readonly code: DiagnosticCode; readonly consequence: string }[] = [
  { path: ['collection', 'redact'], code: 'conf-drops-redaction', consequence: 'the converted file would send payloads unredacted' },
  { path: ['collection', 'deny'], code: 'conf-drops-deny', consequence: 'the converted file would send the records the policy denies' },
  { path: ['collection', 'allow'], code: 'conf-drops-allow', consequence: 'the converted file would send records the policy does not allow' },
  { path: ['collection', 'min_severity'], code: 'conf-drops-min-severity', consequence: "the converted file would send records below the policy's min_severity" },
  { path: ['routes', 0, 'match'], code: 'conf-widens-route', consequence: 'the converted file would send every record, not only those this route matches' },
  {
    path: ['destinations', '*', 'protocol'],
    code: 'conf-protocol-not-expressible',
    consequence: "telemetrics.conf takes the protocol from the server URL's path (/v2/ or not), and a server refuses every record sent in the other protocol",
  },
];

function unsafeLoss(path: KeyPath) {
  return UNSAFE.find((loss) => loss.path.every((segment, index) => segment === '*' || path[index] === segment));
}

export interface InexpressibleOptions {
  /** Report unsafe losses as warnings: the user asked for the file anyway (`--force`). */
  readonly force?: boolean;
}

export function inexpressible(original: ResolvedPolicy, converted: ResolvedPolicy, options: InexpressibleOptions = {}): Diagnostic[] {
  return differences(original, converted, []).map((difference) => {
    const diagnostic = describeLoss(difference);
    const unsafe = unsafeLoss(difference.path);
    if (!unsafe) return diagnostic;
    const message = `${diagnostic.message}: ${unsafe.consequence}`;
    return options.force
      ? { ...diagnostic, code: unsafe.code, message: `${message} (written anyway: --force)` }
      : { ...diagnostic, code: unsafe.code, severity: 'error', message, hint: 'change the policy so a telemetrics.conf can say it, or pass --force to write the file anyway' };
  });
}

function describeLoss({ path, original: was, converted: becomes }: Difference): Diagnostic {
  const what = label(path, was);
  let message: string;
  const emptied = becomes === undefined || (becomes === null && !isScalar(was)) || (Array.isArray(becomes) && becomes.length === 0);
  if (emptied) message = `${what} cannot be expressed in telemetrics.conf and is left out`;
  else if (was === undefined) message = `telemetrics.conf cannot leave out ${what}: the converted file gives ${describe(path, becomes)}`;
  else if (isScalar(was) && isScalar(becomes)) message = `${what} ${describe(path, was)} cannot be expressed in telemetrics.conf: the converted file gives ${describe(path, becomes)}`;
  else message = `${what} cannot be expressed in telemetrics.conf as it is`;
  return { code: 'conf-not-expressible', severity: 'warning', message, path };
}
