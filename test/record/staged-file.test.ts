import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { formatStagedRecord, parseStagedRecord, readStagedRecordFile, writeStagedRecordFile } from '../../engine/record/staged-file.js';
import { tempDir } from '../helpers/tmp.js';
import { testRecord } from '../helpers/records.js';

// A staged file as telemprobd writes it (reference §B): machine_id already replaced, payload + "\n".
const UPSTREAM_STAGED = `CFG:/etc/telemetrics/alt.conf
record_format_version: 4
classification: org.example/probe/test
severity: 1
machine_id: 0968e7256b975820ec8aa038f97dca51
creation_timestamp: 1795385369
arch: x86_64
host_type: no_sv_file|no_pn_file|no_pvr_file
build: "12"
kernel_version: 6.18.44-fc-v595
payload_format_version: 1
system_name: debian
board_name: no_bn_file|no_bv_file
cpu_model: Intel(R) Xeon(R) Processor @ 2.50GHz
bios_version: no_bv_file
event_id: ff0f3818c1e9f92fd35f25be2da4ddc3
first line
second line
`;

test('parseStagedRecord: an upstream staged file gives the CFG path, full headers and the payload without the added newline', () => {
  const parsed = parseStagedRecord(Buffer.from(UPSTREAM_STAGED));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  assert.equal(parsed.configPath, '/etc/telemetrics/alt.conf');
  assert.equal(parsed.record.headers.machine_id, '0968e7256b975820ec8aa038f97dca51');
  assert.equal(parsed.record.headers.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz');
  assert.equal(parsed.record.payload.toString(), 'first line\nsecond line');
});

test('formatStagedRecord: writes exactly what upstream telemprobd writes', () => {
  const parsed = parseStagedRecord(Buffer.from(UPSTREAM_STAGED));
  assert.ok(parsed.ok);
  assert.equal(formatStagedRecord(parsed).toString(), UPSTREAM_STAGED);
});

test('parseStagedRecord: an empty payload and no CFG line round-trip', () => {
  const record = testRecord({ payload: '' });
  const parsed = parseStagedRecord(formatStagedRecord({ record, configPath: null }));
  assert.ok(parsed.ok);
  assert.equal(parsed.configPath, null);
  assert.deepEqual(parsed.record, record);
});

test('parseStagedRecord: files upstream would delete are refused with a reason (empty, too few or misnamed headers)', () => {
  assert.deepEqual(parseStagedRecord(Buffer.alloc(0)), { ok: false, detail: 'expected 15 header lines, found 0' });
  assert.deepEqual(parseStagedRecord(Buffer.from('test\n')), { ok: false, detail: 'expected 15 header lines, found 1' });
  const misnamed = UPSTREAM_STAGED.replace('classification:', 'nclassificatioooon:');
  const parsed = parseStagedRecord(Buffer.from(misnamed));
  assert.equal(parsed.ok ? '' : parsed.detail, 'header line 2 should be classification, found "nclassificatioooon: org.example/probe/test"');
});

test('writeStagedRecordFile: a six-character name, mode 0600, readable back', async (t) => {
  const dir = await tempDir(t);
  const record = testRecord({ payload: 'hello\n' });
  const file = await writeStagedRecordFile({ dir, record, configPath: null });
  assert.match(path.basename(file), /^[A-Za-z0-9]{6}$/);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await readFile(file)).toString().endsWith('hello\n\n'), true);
  const parsed = await readStagedRecordFile(file);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.record, record);
});

test('readStagedRecordFile: a file from an upstream spool directory is imported', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'C4m5fm');
  await writeFile(file, UPSTREAM_STAGED);
  const parsed = await readStagedRecordFile(file);
  assert.equal(parsed.ok && parsed.record.headers.event_id, 'ff0f3818c1e9f92fd35f25be2da4ddc3');
});
