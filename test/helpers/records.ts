/** Records and frames for tests, built the way libtelemetry builds them. */
import { buildRecord } from '../../engine/record/build.js';
import type { TelemetryRecord } from '../../engine/record/fields.js';
import { encodeFrame } from '../../engine/record/frame.js';
import type { HostHeaders } from '../../engine/record/host.js';

/** The host headers of CONNECTION #1 in captured-socket.txt (a container without DMI). */
export const CAPTURE_HOST: HostHeaders = {
  arch: 'x86_64',
  host_type: 'no_sv_file|no_pn_file|no_pvr_file',
  build: '"12"',
  kernel_version: '6.18.44-fc-v595',
  system_name: 'debian',
  board_name: 'no_bn_file|no_bv_file',
  cpu_model: 'Intel(R) Xeon(R) Processor @ 2.50GHz',
  bios_version: 'no_bv_file',
};

export function testRecord(options: { classification?: string; payload?: string | Buffer; severity?: number } = {}): TelemetryRecord {
  const payload = options.payload ?? 'payload';
  return buildRecord({
    classification: options.classification ?? 'org.example/probe/test',
    severity: options.severity ?? 1,
    payloadVersion: 1,
    host: CAPTURE_HOST,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    createdAt: new Date(1795385357_000),
  });
}

export function testFrame(options: Parameters<typeof testRecord>[0] & { configPath?: string | undefined } = {}): Buffer {
  return encodeFrame(testRecord(options), { configPath: options.configPath ?? null });
}
