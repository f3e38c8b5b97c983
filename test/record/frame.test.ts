import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { decodeFrame, DEFAULT_FRAME_LIMITS, encodeFrame, maxFrameSize } from '../../engine/record/frame.js';
import { RecordError } from '../../engine/record/problem.js';
import { capturedConnections } from '../helpers/conformance.js';
import { testFrame, testRecord } from '../helpers/records.js';

const captures = capturedConnections();

test('captures: both recorded connections are in the fixture', () => {
  assert.deepEqual(
    captures.map((capture) => [capture.number, capture.bytes.length]),
    [
      [1, 440],
      [2, 445],
    ],
  );
});

for (const capture of captures) {
  test(`decodeFrame: capture #${capture.number} gives the 15 headers and the payload upstream sent`, () => {
    const decoded = decodeFrame(capture.bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.detail);
    assert.deepEqual(
      RECORD_HEADERS.map((name) => `${name}: ${decoded.record.headers[name]}`),
      capture.headerLines,
    );
    assert.equal(decoded.record.payload.toString(), capture.number === 1 ? 'hello' : 'hello\n');
    assert.equal(decoded.configPath, null);
  });

  test(`encodeFrame: re-encoding capture #${capture.number} gives the same bytes`, () => {
    const decoded = decodeFrame(capture.bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(encodeFrame(decoded.record), capture.bytes);
  });
}

test('encodeFrame: a record built here has the layout of capture #1 (sizes, header order, final NUL)', () => {
  const capture = captures[0]!;
  const frame = encodeFrame(testRecord({ payload: 'hello' }));
  // Same header lengths as the capture apart from the event id, which has a fixed length.
  assert.equal(frame.readUInt32LE(0), frame.length);
  assert.equal(frame.readUInt32LE(4), capture.bytes.readUInt32LE(4));
  assert.equal(frame.length, capture.bytes.length);
  const header = frame.subarray(8, 8 + frame.readUInt32LE(4)).toString();
  assert.deepEqual(
    header
      .split('\n')
      .slice(0, 15)
      .map((line) => line.slice(0, line.indexOf(':'))),
    [...RECORD_HEADERS],
  );
  assert.equal(frame.at(-1), 0);
  assert.equal(frame.subarray(-6, -1).toString(), 'hello');
});

test('encodeFrame: a CFG field sits between record_size and header_size, NUL-terminated, counted in record_size', () => {
  const plain = testFrame();
  const frame = testFrame({ configPath: '/etc/telemetrics/alt.conf' });
  assert.equal(frame.length, plain.length + 4 + '/etc/telemetrics/alt.conf'.length + 1);
  assert.equal(frame.readUInt32LE(0), frame.length);
  assert.equal(frame.subarray(4, 8).toString(), 'CFG:');
  assert.equal(frame.subarray(8, 33).toString(), '/etc/telemetrics/alt.conf');
  assert.equal(frame[33], 0);
  assert.equal(frame.readUInt32LE(34), plain.readUInt32LE(4));
  const decoded = decodeFrame(frame);
  assert.ok(decoded.ok);
  assert.equal(decoded.configPath, '/etc/telemetrics/alt.conf');
  assert.equal(decoded.record.payload.toString(), 'payload');
});

test('encodeFrame: a header value with a newline is refused instead of forging another header', () => {
  const record = testRecord();
  assert.throws(
    () => encodeFrame({ ...record, headers: { ...record.headers, cpu_model: 'x\nseverity: 4' } }),
    (error: unknown) => error instanceof RecordError && error.code === 'header-line-break',
  );
});

test('decodeFrame: full values with spaces are kept (no cut at the first space)', () => {
  const decoded = decodeFrame(testFrame());
  assert.ok(decoded.ok);
  assert.equal(decoded.record.headers.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz');
});

test('decodeFrame: payloads up to 8192 bytes are accepted, 8193 is payload_too_large', () => {
  for (const size of [8187, 8188, 8192]) {
    const decoded = decodeFrame(testFrame({ payload: 'a'.repeat(size) }));
    assert.ok(decoded.ok, `payload of ${size} bytes`);
    assert.equal(decoded.record.payload.length, size);
  }
  const tooLarge = decodeFrame(testFrame({ payload: 'a'.repeat(8193) }));
  assert.deepEqual(tooLarge.ok ? null : [tooLarge.reason, tooLarge.detail], ['payload_too_large', 'payload is 8193 bytes; the limit is 8192 bytes']);
});

test('decodeFrame: each structural problem has its own reason', () => {
  const good = testFrame();
  const withSize = (frame: Buffer, size: number): Buffer => {
    const copy = Buffer.from(frame);
    copy.writeUInt32LE(size, 0);
    return copy;
  };
  const headerSizeTooBig = Buffer.from(good);
  headerSizeTooBig.writeUInt32LE(good.length, 4);
  const cfgWithoutNul = Buffer.concat([Buffer.alloc(4), Buffer.from('CFG:/etc/x')]);
  cfgWithoutNul.writeUInt32LE(cfgWithoutNul.length, 0);
  const cases: [string, Buffer, string][] = [
    ['size 4', withSize(good, 4), 'size_out_of_range'],
    ['size beyond the limit', withSize(good, maxFrameSize(DEFAULT_FRAME_LIMITS) + 1), 'size_out_of_range'],
    ['one byte missing', good.subarray(0, good.length - 1), 'truncated'],
    ['header_size past the end', headerSizeTooBig, 'bad_header_size'],
    ['CFG without NUL', cfgWithoutNul, 'bad_config_path'],
    ['payload with a NUL', testFrame({ payload: 'a\0b' }), 'payload_not_text'],
    ['payload not UTF-8', testFrame({ payload: Buffer.from([0xff, 0xfe]) }), 'payload_not_text'],
    ['classification with one slash', testFrame({ classification: 'org.example/probe' }), 'bad_classification'],
  ];
  for (const [name, frame, reason] of cases) {
    const decoded = decodeFrame(frame);
    assert.equal(decoded.ok ? 'accepted' : decoded.reason, reason, name);
  }
});

test('decodeFrame: severity outside 1..4 is bad_severity', () => {
  const record = testRecord();
  const frame = encodeFrame({ ...record, headers: { ...record.headers, severity: '9' } });
  const decoded = decodeFrame(frame);
  assert.equal(decoded.ok ? 'accepted' : decoded.reason, 'bad_severity');
});
