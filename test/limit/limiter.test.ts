import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLimiter } from '../../engine/limit/limiter.js';

const minute = 60_000;

test('sliding limiter: allows the limit within a window, then says when the next one fits', () => {
  const limiter = createLimiter({ records: { limit: 5, windowMs: minute }, bytes: null, whenExceeded: 'spool', algorithm: 'sliding' });
  for (let index = 0; index < 5; index += 1) {
    assert.deepEqual(limiter.check(10, 1000 + index), { allowed: true });
    limiter.consume(10, 1000 + index);
  }
  assert.deepEqual(limiter.check(10, 2000), { allowed: false, retryAt: 1000 + minute, never: false });
  assert.deepEqual(limiter.check(10, 1000 + minute), { allowed: true });
});

test('sliding limiter: counts real payload bytes', () => {
  const limiter = createLimiter({ records: null, bytes: { limit: 1000, windowMs: minute }, whenExceeded: 'spool', algorithm: 'sliding' });
  limiter.consume(600, 0);
  assert.equal(limiter.check(400, 10).allowed, true);
  assert.deepEqual(limiter.check(401, 10), { allowed: false, retryAt: minute, never: false });
});

test('sliding limiter: a record larger than the byte limit can never pass', () => {
  const limiter = createLimiter({ records: null, bytes: { limit: 100, windowMs: minute }, whenExceeded: 'spool', algorithm: 'sliding' });
  assert.deepEqual(limiter.check(101, 0), { allowed: false, retryAt: Infinity, never: true });
});

test('minute-slot limiter: refuses within the minute and retries at the next minute boundary', () => {
  const limiter = createLimiter({ records: { limit: 1, windowMs: minute }, bytes: null, whenExceeded: 'spool', algorithm: 'minute-slots' });
  const start = Date.UTC(2026, 10, 22, 12, 30, 10);
  assert.equal(limiter.check(5, start).allowed, true);
  limiter.consume(5, start);
  assert.deepEqual(limiter.check(5, start + 1000), { allowed: false, retryAt: Date.UTC(2026, 10, 22, 12, 31, 0), never: false });
  assert.equal(limiter.check(5, Date.UTC(2026, 10, 22, 12, 31, 0)).allowed, true);
});
