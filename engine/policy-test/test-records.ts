/**
 * The records a test case puts through a policy. Every header has a fixed value (unless the test
 * file sets it), so an expected v3 body is the same on every machine and every run.
 */
import type { RecordHeader, RecordHeaders, TelemetryRecord } from '../record/fields.js';
import { buildRecord, withHeader } from '../record/build.js';
import type { HostHeaders } from '../record/host.js';
import type { TestCase, TestRecordInput } from '../../schemas/policy-test.js';

/** Virtual time 0 of every case: 2026-01-01T00:00:00Z (creation_timestamp 1767225600). */
export const TEST_START_MS = Date.UTC(2026, 0, 1);
/** The machine id the intake would stamp on the record. */
export const TEST_MACHINE_ID = '0123456789abcdef0123456789abcdef';

export const TEST_HOST: HostHeaders = {
  arch: 'x86_64',
  host_type: 'telem-test',
  build: '1',
  kernel_version: '6.0.0',
  system_name: 'telem-test',
  board_name: 'telem-test',
  cpu_model: 'telem-test',
  bios_version: 'telem-test',
};

export interface TimedRecord {
  readonly record: TelemetryRecord;
  /** Virtual time the agent takes it, ms since the epoch. */
  readonly at: number;
}

type HeaderOverrides = Partial<Record<RecordHeader, string>>;

function withHeaders(record: TelemetryRecord, overrides: HeaderOverrides): TelemetryRecord {
  let result = record;
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) result = withHeader(result, name as keyof RecordHeaders, value);
  return result;
}

/** The n-th record of a case (from 0), as a probe would build it and the intake would stamp it. */
function testRecord(input: TestRecordInput, at: number, index: number, fileHeaders: HeaderOverrides): TimedRecord {
  const built = buildRecord({
    classification: input.classification,
    severity: input.severity,
    payloadVersion: input.payload_version,
    host: TEST_HOST,
    payload: Buffer.from(input.payload, 'utf8'),
    eventId: (index + 1).toString(16).padStart(32, '0'),
    createdAt: new Date(at),
  });
  return { record: withHeaders(withHeader(built, 'machine_id', TEST_MACHINE_ID), { ...fileHeaders, ...input.headers }), at };
}

/** One record input as the case would build it (at its own `at`), for checking it before the case runs. */
export function inputRecord(input: TestRecordInput, fileHeaders: HeaderOverrides): TelemetryRecord {
  return testRecord(input, TEST_START_MS + input.at, 0, fileHeaders).record;
}

/** The records of a record or records case, in time order (ties keep their order). */
export function caseRecords(testCase: TestCase, fileHeaders: HeaderOverrides): TimedRecord[] {
  const inputs: { input: TestRecordInput; offset: number }[] = [];
  if (testCase.record) inputs.push({ input: testCase.record, offset: testCase.record.at });
  else if (Array.isArray(testCase.records)) for (const input of testCase.records) inputs.push({ input, offset: input.at });
  else if (testCase.records) {
    const series = testCase.records;
    for (let n = 0; n < series.count; n += 1) inputs.push({ input: series, offset: series.at + n * series.every });
  }
  return inputs
    .map((entry, order) => ({ ...entry, order }))
    .sort((a, b) => a.offset - b.offset || a.order - b.order)
    .map(({ input, offset }, index) => testRecord(input, TEST_START_MS + offset, index, fileHeaders));
}

/** A decoded frame's record, stamped by the intake: taken at its own creation time. */
export function frameRecord(record: TelemetryRecord, fileHeaders: HeaderOverrides): TimedRecord {
  const created = Number(record.headers.creation_timestamp);
  const at = Number.isFinite(created) ? created * 1000 : TEST_START_MS;
  return { record: withHeader(record, 'machine_id', fileHeaders.machine_id ?? TEST_MACHINE_ID), at };
}
