import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLOT_COUNT, slotsAllow, slotsRecord } from '../../engine/limit/minute-slots.js';

function slotsWith(values: Record<number, number>): number[] {
  const slots = new Array<number>(SLOT_COUNT).fill(0);
  for (const [index, value] of Object.entries(values)) slots[Number(index)] = value;
  return slots;
}

// Upstream tests/check_postd.c rate_limit_check vectors (reference §F.3).
test('minute slots: upstream check vector 1 passes (window 49..3 holds 20, +1 ≤ 30)', () => {
  assert.equal(slotsAllow({ slots: slotsWith({ 1: 10, 7: 10, 10: 20, 55: 10 }), minute: 3, windowMinutes: 15, limit: 30, increment: 1 }), true);
});

test('minute slots: upstream check vector 2 fails (window 55..24 holds 30, +1 > 30)', () => {
  assert.equal(slotsAllow({ slots: slotsWith({ 3: 10, 4: 10, 6: 10, 27: 10 }), minute: 24, windowMinutes: 30, limit: 30, increment: 1 }), false);
});

test('minute slots: upstream check vector 3 passes with byte counts (43000 + 20000 ≤ 64000)', () => {
  assert.equal(slotsAllow({ slots: slotsWith({ 1: 32000, 7: 10000, 10: 45000, 55: 11000 }), minute: 3, windowMinutes: 15, limit: 64000, increment: 20000 }), true);
});

test('minute slots: upstream check vector 4 fails with byte counts (74300 + 80000 > 100000)', () => {
  assert.equal(slotsAllow({ slots: slotsWith({ 1: 32000, 7: 10000, 10: 32300, 55: 31000 }), minute: 15, windowMinutes: 15, limit: 100000, increment: 80000 }), false);
});

test('minute slots: a zero window only compares the increment with the limit', () => {
  assert.equal(slotsAllow({ slots: slotsWith({ 3: 1000 }), minute: 3, windowMinutes: 0, limit: 5, increment: 5 }), true);
  assert.equal(slotsAllow({ slots: slotsWith({}), minute: 3, windowMinutes: 0, limit: 5, increment: 6 }), false);
});

test('minute slots: upstream update vector for records (w=15: +1 at 7,7,45,47,47 → slot45=1, slot47=2)', () => {
  const slots = slotsWith({});
  for (const minute of [7, 7, 45, 47, 47]) slotsRecord({ slots, minute, windowMinutes: 15, increment: 1 });
  assert.deepEqual(slots, slotsWith({ 45: 1, 47: 2 }));
});

test('minute slots: upstream update vector for bytes (w=15: +32000 at 7,7,45,47,47,47)', () => {
  const slots = slotsWith({});
  for (const minute of [7, 7, 45, 47, 47, 47]) slotsRecord({ slots, minute, windowMinutes: 15, increment: 32000 });
  assert.deepEqual(slots, slotsWith({ 45: 32000, 47: 96000 }));
});
