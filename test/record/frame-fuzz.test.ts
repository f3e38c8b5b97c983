import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, FRAME_REJECT_REASONS } from '../../engine/record/frame.js';
import { testFrame } from '../helpers/records.js';

const SEED = 20261122;
const reasons = new Set<string>(FRAME_REJECT_REASONS);
const good = testFrame({ configPath: '/etc/telemetrics/alt.conf' });

function decodesSafely(bytes: Buffer): void {
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) {
    assert.ok(reasons.has(decoded.reason), `unknown reason ${decoded.reason}`);
    assert.ok(decoded.detail.length > 0);
    return;
  }
  // Whatever is accepted survives a round trip unchanged.
  const again = decodeFrame(encodeFrame(decoded.record, { configPath: decoded.configPath }));
  assert.ok(again.ok);
  assert.deepEqual(again.record, decoded.record);
}

test('decodeFrame fuzz: random bytes never throw and are refused with a known reason', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodesSafely(Buffer.from(bytes))),
    { seed: SEED, numRuns: 2000 },
  );
});

test('decodeFrame fuzz: random byte changes, cuts and size fields in a good frame never throw', () => {
  const mutation = fc.record({
    flips: fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat(good.length), { nil: undefined }),
    size: fc.option(fc.nat(), { nil: undefined }),
    headerSize: fc.option(fc.nat(), { nil: undefined }),
  });
  fc.assert(
    fc.property(mutation, ({ flips, cut, size, headerSize }) => {
      const bytes = Buffer.from(good);
      for (const [offset, value] of flips) bytes[offset] = value;
      if (size !== undefined) bytes.writeUInt32LE(size % 2 ** 32, 0);
      if (headerSize !== undefined) bytes.writeUInt32LE(headerSize % 2 ** 32, 34);
      decodesSafely(cut === undefined ? bytes : bytes.subarray(0, cut));
    }),
    { seed: SEED, numRuns: 3000 },
  );
});
