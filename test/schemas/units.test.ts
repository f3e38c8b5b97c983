import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DURATION_MS, byteRateSchema, durationSchema, formatDuration, formatSize, parseDuration, parseSize, recordRateSchema, sizeSchema } from '../../schemas/units.js';

test('durations: human text becomes milliseconds', () => {
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('20h'), 72_000_000);
  assert.equal(parseDuration('3d'), 259_200_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('0s'), 0);
});

test('durations: text without a unit or with an unknown unit is not a duration', () => {
  for (const text of ['15', '15 minutes', 'm', '1.5h', '-1m', '']) assert.equal(parseDuration(text), undefined, text);
  const result = durationSchema.safeParse(15);
  assert.equal(result.success, false);
  assert.match(result.error?.issues[0]?.message ?? '', /expected a duration with a unit, such as "15m"/);
});

test('sizes: binary and decimal units become bytes, bare numbers are bytes', () => {
  assert.equal(parseSize('5MiB'), 5 * 1024 * 1024);
  assert.equal(parseSize('8KiB'), 8192);
  assert.equal(parseSize('1KB'), 1000);
  assert.equal(parseSize('1.5KiB'), 1536);
  assert.equal(parseSize('42'), 42);
  assert.equal(sizeSchema.parse(8192), 8192);
  assert.equal(parseSize('5 parsecs'), undefined);
  assert.equal(sizeSchema.safeParse(-1).success, false);
});

test('rates: "100/15m" and "1MiB/20m" become a limit and a window', () => {
  assert.deepEqual(recordRateSchema.parse('100/15m'), { limit: 100, windowMs: 900_000 });
  assert.deepEqual(byteRateSchema.parse('1MiB/20m'), { limit: 1_048_576, windowMs: 1_200_000 });
  assert.equal(recordRateSchema.safeParse('100 per 15m').success, false);
  assert.equal(recordRateSchema.safeParse('1MiB/15m').success, false);
});

test('formatting: durations and sizes print back as the shortest exact text', () => {
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatSize(5 * 1024 * 1024), '5MiB');
  assert.equal(formatSize(1000), '1000B');
});

test('durations: up to 100 years is accepted, beyond is an error "duration too long", however many digits', () => {
  assert.equal(durationSchema.parse('36500d'), MAX_DURATION_MS);
  assert.equal(durationSchema.parse('52w'), 52 * 604_800_000);
  for (const text of ['36501d', '5215w', '9'.repeat(400) + 'w']) {
    const result = durationSchema.safeParse(text);
    assert.equal(result.success, false, text);
    assert.match(result.error?.issues[0]?.message ?? '', /^duration too long: at most 100 years \(36500d\), got "/, text);
  }
});

test('rates: a window of more than 100 years is an error too, the limit itself is not capped', () => {
  assert.deepEqual(recordRateSchema.parse('1000000/36500d'), { limit: 1_000_000, windowMs: MAX_DURATION_MS });
  const result = byteRateSchema.safeParse('1MiB/99999w');
  assert.equal(result.success, false);
  assert.equal(result.error?.issues[0]?.message, 'rate window too long: at most 100 years (36500d), got "99999w"');
});
