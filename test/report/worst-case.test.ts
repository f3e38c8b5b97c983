/** telem report's hourly bounds: the formula, and the real limiter driven as hard as it allows for an hour. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LimiterSettings } from '../../engine/compile/runtime-plan.js';
import { createLimiter } from '../../engine/limit/limiter.js';
import { hourlyBound, sumBounds } from '../../engine/report/worst-case.js';

const HOUR = 3_600_000;

function settings(records: [number, number] | null, bytes: [number, number] | null = null, algorithm: LimiterSettings['algorithm'] = 'sliding'): LimiterSettings {
  return {
    records: records && { limit: records[0], windowMs: records[1] },
    bytes: bytes && { limit: bytes[0], windowMs: bytes[1] },
    whenExceeded: 'drop',
    algorithm,
  };
}

/** Sends a record of `size` bytes whenever the real limiter lets one go, for an hour from `start`; returns how many went. */
function greedyHour(limit: LimiterSettings, size: number, start: number): number {
  const limiter = createLimiter(limit);
  let now = start;
  let sent = 0;
  while (now < start + HOUR) {
    const check = limiter.check(size, now);
    if (check.allowed) {
      limiter.consume(size, now);
      sent += 1;
    } else {
      assert.ok(!check.never);
      now = check.retryAt;
    }
  }
  return sent;
}

test('report bound: records per hour from a sliding window is the limit times the windows an hour starts', () => {
  assert.equal(hourlyBound(settings([100, 15 * 60_000]), 8192).records, 400);
  assert.equal(hourlyBound(settings([500, HOUR]), 8192).records, 500);
  assert.equal(hourlyBound(settings([5, 2000]), 8192).records, 9000);
  assert.equal(hourlyBound(settings([10, 7 * 60_000]), 8192).records, 90, 'an hour holds 8 full windows and the start of a 9th');
  assert.equal(hourlyBound(settings([10, 2 * HOUR]), 8192).records, 10);
});

test('report bound: the real sliding limiter, sent to as fast as it admits, reaches the bound and no more', () => {
  for (const [limit, windowMs] of [
    [100, 15 * 60_000],
    [10, 7 * 60_000],
    [3, 20 * 60_000],
    [7, 2 * HOUR],
  ] as const) {
    const limit_ = settings([limit, windowMs]);
    assert.equal(greedyHour(limit_, 10, 1_000_000_000_000), hourlyBound(limit_, 8192).records, `${limit}/${windowMs}ms`);
  }
});

test('report bound: upstream minute slots count clock minutes, and an hour touches 61 of them', () => {
  const limit = settings([10, 15 * 60_000], null, 'minute-slots');
  assert.equal(hourlyBound(limit, 8192).records, 50);
  // Start half a minute into a clock minute whose window is empty: the real limiter lets 50 through within the hour.
  const start = Date.UTC(2026, 0, 1, 0, 0, 30);
  assert.ok(greedyHour(limit, 10, start) <= 50);
});

test('report bound: payload bytes come from the byte limit, or records times the largest payload, whichever is less', () => {
  assert.deepEqual(hourlyBound(settings([100, 15 * 60_000], [1024 * 1024, 20 * 60_000]), 8192), { records: 400, bytes: 3 * 1024 * 1024 });
  assert.deepEqual(hourlyBound(settings([10, HOUR], [1024 * 1024, 20 * 60_000]), 8192), { records: 10, bytes: 81920 });
  assert.deepEqual(hourlyBound(settings(null, [1000, HOUR]), 8192), { records: null, bytes: 1000 });
  assert.deepEqual(hourlyBound(null, 8192), { records: null, bytes: null });
  // The real limiter with a byte limit only: records of 100 bytes, 1000 bytes an hour.
  assert.equal(greedyHour(settings(null, [1000, HOUR]), 100, 1_000_000_000_000) * 100, 1000);
});

test('report bound: routes to one destination add up; one unlimited route makes the destination unlimited', () => {
  assert.deepEqual(
    sumBounds([
      { records: 400, bytes: 10 },
      { records: 500, bytes: 20 },
    ]),
    { records: 900, bytes: 30 },
  );
  assert.deepEqual(
    sumBounds([
      { records: 400, bytes: 10 },
      { records: null, bytes: null },
    ]),
    { records: null, bytes: null },
  );
  assert.deepEqual(sumBounds([]), { records: 0, bytes: 0 });
});
