/** Destinations as the runtime sees them (through the real schema) and sample records. */
import assert from 'node:assert/strict';
import type { ResolvedDestination } from '../../schemas/resolved.js';
import { RECORD_HEADERS, type RecordHeaders, type TelemetryRecord } from '../../engine/record/fields.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

/** Resolves one destination written as in a policy file ("200ms", defaults left out). */
export function resolvedDestination(spec: Record<string, unknown>, name = 'sink'): ResolvedDestination {
  const result = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'deliver-test' },
    destinations: { [name]: spec },
    routes: [{ name: 'all', to: [name] }],
  });
  assert.ok(result.policy, JSON.stringify(result.diagnostics));
  const destination = result.policy.destinations[name];
  assert.ok(destination);
  return destination;
}

export function sampleRecord(headers: Partial<Record<keyof RecordHeaders, string>> = {}, payload = 'hello'): TelemetryRecord {
  const base: RecordHeaders = {
    record_format_version: '4',
    classification: 'org.example/probe/test',
    severity: '1',
    machine_id: '0968e7256b975820ec8aa038f97dca51',
    creation_timestamp: '1795385359',
    arch: 'x86_64',
    host_type: 'no_sv_file|no_pn_file|no_pvr_file',
    build: '"12"',
    kernel_version: '6.18.44-fc-v595',
    payload_format_version: '1',
    system_name: 'debian',
    board_name: 'no_bn_file|no_bv_file',
    cpu_model: 'Intel(R) Xeon(R) Processor @ 2.50GHz',
    bios_version: 'no_bv_file',
    event_id: '3df3a0ccdc1b8abada82a1202bcd3da8',
  };
  return { headers: { ...base, ...headers }, payload: Buffer.from(payload) };
}

/** The record a captured v3 request carried: its JSON body read back. */
export function recordFromJsonBody(body: Buffer): TelemetryRecord {
  const json = JSON.parse(body.toString('utf8')) as Record<string, string>;
  const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, json[name] ?? ''])) as unknown as RecordHeaders;
  return { headers, payload: Buffer.from(json.payload ?? '', 'utf8') };
}

/** The record a captured v2 request carried: its header lines and its body. */
export function recordFromV2Request(head: string, body: Buffer): TelemetryRecord {
  const lines = new Map(head.split('\r\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
  const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, Buffer.from(lines.get(name) ?? '', 'latin1').toString('utf8')])) as unknown as RecordHeaders;
  return { headers, payload: body };
}
