/**
 * Upstream's validation pipeline (reference/upstream-backend.md §2.3), in its order and with
 * its messages; the first failure wins. Where upstream answered 500 (missing system_name or
 * build, non-ASCII digits, values its database cannot hold) we answer 400 with a message, and
 * record_format_version "04" counts as 4 instead of skipping the required-header check.
 * The tenant check (step 1) is in tenant.ts; it runs before this.
 */
import type { RecordFields } from '../record/record.js';
import { canonicalName, titleName } from './field-names.js';
import { isPrintable, parsePythonInt, pyRepr } from './python-compat.js';

/** What a request said, before validation: field values by canonical name. */
export interface RecordSubmission {
  readonly fields: ReadonlyMap<string, string>;
  readonly payload: string;
}

export type ValidatedFields = RecordFields & { readonly payload: string };

export type Verdict = { readonly ok: true; readonly record: ValidatedFields } | { readonly ok: false; readonly message: string };

const V1_REQUIRED = ['arch', 'build', 'creation_timestamp', 'classification', 'host_type', 'kernel_version', 'machine_id', 'severity', 'record_format_version'];
// Upstream's v2 set also lists X-Telemetry-Tid; the tenant check has already required it.
const V2_REQUIRED = [...V1_REQUIRED, 'payload_format_version', 'system_name'];
const V3_REQUIRED = [...V2_REQUIRED, 'board_name', 'bios_version', 'cpu_model'];
const V4_REQUIRED = [...V3_REQUIRED, 'event_id'];
const REQUIRED_BY_VERSION: Record<number, readonly string[]> = { 1: V1_REQUIRED, 2: V2_REQUIRED, 3: V3_REQUIRED, 4: V4_REQUIRED };

export const ARCHITECTURES = ['armv7l', 'armv6l', 'aarch64', 'amd64', 'sparc64', 'ppc64', 'i686', 'i386', 'x86_64', 'ppc'];

/** Fields a lower record version does not carry are stored as upstream stores them. */
export const NOT_APPLICABLE = 'N/A';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** Python's `str.isdigit()` restricted to ASCII: upstream accepted other digits and then failed with 500. */
function isDigits(text: string | undefined): text is string {
  return text !== undefined && /^[0-9]+$/.test(text);
}

function codePoints(text: string): number {
  return [...text].length;
}

function stripQuotes(text: string): string {
  return text.replaceAll('"', '').replaceAll("'", '');
}

function fail(message: string): Verdict {
  return { ok: false, message };
}

export function validateRecord(submission: RecordSubmission): Verdict {
  const get = (name: string): string | undefined => submission.fields.get(name);

  const versionText = get('record_format_version');
  const version = isDigits(versionText) ? Number(versionText) : NaN;
  if (!(version in REQUIRED_BY_VERSION)) return fail('Record-Format-Version is invalid');

  const missing = (REQUIRED_BY_VERSION[version] as readonly string[]).find((name) => get(name) === undefined);
  if (missing) return fail(`Record-Format-Version headers are invalid, ${titleName(missing)} missing`);

  const severityText = get('severity');
  const severity = isDigits(severityText) ? Number(severityText) : NaN;
  if (!(severity >= 1 && severity <= 4)) return fail('severity value is out of range');

  const classification = get('classification') as string;
  if (classification.split('/').length !== 3) return fail('Classification value is invalid');

  const machineId = get('machine_id') as string;
  if (codePoints(machineId) > 32) return fail('Machine id value is invalid');

  const timestampText = get('creation_timestamp');
  // Beyond 2^53 the value would not survive storage; upstream accepted any length of digits.
  if (!isDigits(timestampText) || !Number.isSafeInteger(Number(timestampText))) return fail('timestamp is invalid');

  const arch = get('arch') as string;
  if (!ARCHITECTURES.includes(arch)) return fail('architecture is invalid');

  const hostType = get('host_type') as string;
  if (codePoints(hostType) >= 250) return fail('host type is invalid');

  const kernelVersion = get('kernel_version') as string;
  if (!/^[0-9]+\.[0-9]+\.[\s\S]*$/.test(kernelVersion)) return fail('kernel version is invalid');

  let boardName = NOT_APPLICABLE;
  let cpuModel = NOT_APPLICABLE;
  let biosVersion = NOT_APPLICABLE;
  if (version >= 3) {
    const valid = (text: string) => codePoints(text) < 200 && isPrintable(text);
    boardName = get('board_name') as string;
    if (!valid(boardName)) return fail('board name is invalid');
    cpuModel = get('cpu_model') as string;
    if (!valid(cpuModel)) return fail('cpu model is invalid');
    biosVersion = get('bios_version') as string;
    if (!valid(biosVersion)) return fail('BIOS version is invalid');
  }

  let eventId = NOT_APPLICABLE;
  if (version >= 4) {
    eventId = get('event_id') as string;
    if (!/^[0-9a-f]{32}$/.test(eventId)) return fail('Event id is invalid');
  }

  const systemNameText = get('system_name');
  if (systemNameText === undefined) return fail('system name is missing');
  const systemName = stripQuotes(systemNameText);

  const buildText = get('build');
  if (buildText === undefined) return fail('build is missing');
  const build = stripQuotes(buildText);
  if (systemName === 'clear-linux-os') {
    if (!/^[0-9]+$/.test(build)) return fail('Clear Linux OS build version has invalid characters');
  } else if (!/^[-_a-zA-Z0-9.]+$/.test(build)) {
    return fail('Build version has invalid characters');
  }

  const payloadVersionText = get('payload_format_version');
  if (payloadVersionText === undefined) {
    return fail("Error parsing payload_format_version, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  }
  const payloadVersion = parsePythonInt(payloadVersionText);
  if (payloadVersion === undefined) {
    return fail(`Error parsing payload_format_version, invalid literal for int() with base 10: ${pyRepr(payloadVersionText)}`);
  }
  // Upstream checked only the upper bound; below int32 its database raised an error (500).
  if (payloadVersion >= INT32_MAX || payloadVersion < INT32_MIN) return fail('Payload format version outside of range supported');

  const record: ValidatedFields = {
    record_format_version: version,
    classification,
    severity,
    machine_id: machineId,
    creation_timestamp: Number(timestampText),
    arch,
    host_type: hostType,
    build,
    kernel_version: kernelVersion,
    payload_format_version: payloadVersion,
    system_name: systemName,
    board_name: boardName,
    cpu_model: cpuModel,
    bios_version: biosVersion,
    event_id: eventId,
    payload: submission.payload,
  };
  return checkStorable(record);
}

/** Text columns cannot hold NUL (PostgreSQL rejects it; upstream answered 500). */
function checkStorable(record: ValidatedFields): Verdict {
  if (record.payload.includes('\0')) return fail('payload contains a NUL byte, which cannot be stored');
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === 'string' && value.includes('\0')) return fail(`${titleName(canonicalName(name))} contains a NUL character`);
  }
  return { ok: true, record };
}
