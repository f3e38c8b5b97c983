import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerLimits } from '../../engine/intake/peer-limits.js';

test('peer limits: a uid is admitted up to maxPerUid, then refused until one of its connections is released', () => {
  const limits = new PeerLimits({ maxPerUid: 3 });
  assert.deepEqual(
    [1000, 1000, 1000, 1000].map((uid) => limits.admit(uid)),
    [true, true, true, false],
  );
  assert.equal(limits.openFor(1000), 3);
  limits.release(1000);
  assert.equal(limits.admit(1000), true);
  assert.equal(limits.admit(1000), false);
});

test('peer limits: one uid at its limit does not keep other uids out', () => {
  const limits = new PeerLimits({ maxPerUid: 2 });
  limits.admit(1000);
  limits.admit(1000);
  assert.equal(limits.admit(1000), false);
  assert.equal(limits.admit(0), true);
  assert.equal(limits.admit(65534), true);
  assert.equal(limits.total, 4);
});

test('peer limits: connections without credentials share one budget', () => {
  const limits = new PeerLimits({ maxPerUid: 2 });
  assert.deepEqual(
    [null, null, null].map((uid) => limits.admit(uid)),
    [true, true, false],
  );
  assert.equal(limits.admit(1000), true, 'a known uid has its own budget');
  limits.release(null);
  assert.equal(limits.admit(null), true);
});

test('peer limits: counts() lists open connections per uid, most first, unknown last among equals', () => {
  const limits = new PeerLimits({ maxPerUid: 10 });
  for (const uid of [1000, 1000, 1000, null, 0, null, 65534]) limits.admit(uid);
  assert.deepEqual(limits.counts(), [
    { uid: 1000, open: 3 },
    { uid: null, open: 2 },
    { uid: 0, open: 1 },
    { uid: 65534, open: 1 },
  ]);
  for (let index = 0; index < 3; index += 1) limits.release(1000);
  assert.deepEqual(limits.counts(), [
    { uid: null, open: 2 },
    { uid: 0, open: 1 },
    { uid: 65534, open: 1 },
  ]);
  assert.equal(limits.total, 4);
});

test('peer limits: a refused admit counts nothing, and a release with nothing admitted never goes below zero', () => {
  const limits = new PeerLimits({ maxPerUid: 1 });
  limits.admit(1000);
  assert.equal(limits.admit(1000), false);
  limits.release(1000);
  assert.equal(limits.total, 0);
  limits.release(1000);
  limits.release(42);
  assert.equal(limits.total, 0);
  assert.deepEqual(limits.counts(), []);
  assert.equal(limits.admit(1000), true);
  assert.equal(limits.admit(1000), false);
});

test('peer limits: maxPerUid must be a whole number of at least 1', () => {
  for (const maxPerUid of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => new PeerLimits({ maxPerUid }), { name: 'RangeError', message: `maxPerUid must be a whole number ≥ 1, not ${maxPerUid}` });
  }
});
