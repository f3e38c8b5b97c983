/**
 * Our own spool segments, damaged: decodeSegment never throws and only ever yields entries that
 * were written, in order (a prefix of them); Spool.open on damaged segment and ack files never
 * throws and recovers only records that were written.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { type SpoolEntry, decodeSegment, encodeEntry } from '../../engine/spool/entry.js';
import { Spool } from '../../engine/spool/spool.js';
import { testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { fuzzRuns } from './fuzz-settings.js';

const entryArbitrary: fc.Arbitrary<SpoolEntry> = fc
  .record({
    id: fc.stringMatching(/^[0-9a-f]{32}$/),
    acceptedAt: fc.nat(),
    payload: fc.uint8Array({ maxLength: 300 }),
    routes: fc.array(fc.record({ route: fc.string({ maxLength: 6 }), to: fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 2 }),
    revision: fc.nat(),
  })
  .map(({ id, acceptedAt, payload, routes, revision }) => ({ id, acceptedAt, record: testRecord({ payload: Buffer.from(payload) }), routes, revision }));

/** A frame whose length and CRC are right around any body: only the body's contents can refuse it. */
function framed(body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/** Bodies with a right CRC but wrong contents: JSON that is not our metadata, or metadata with wrong shapes. */
const strayBody = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(`${JSON.stringify(value)}\npayload`)),
  {
    weight: 4,
    arbitrary: fc
      .record({
        id: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/) }, fc.string(), fc.constant('../../etc/passwd')),
        t: fc.oneof({ weight: 3, arbitrary: fc.nat() }, fc.string()),
        h: fc.oneof({ weight: 3, arbitrary: fc.constant(Object.fromEntries(RECORD_HEADERS.map((name) => [name, 'x']))) }, fc.dictionary(fc.string(), fc.jsonValue())),
        r: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue(), fc.constant([{ route: 'a', to: 'central' }]), fc.constant([{ route: 1, to: [2] }])),
        v: fc.oneof({ weight: 3, arbitrary: fc.nat() }, fc.string()),
      })
      .map((meta) => Buffer.from(`${JSON.stringify(meta)}\npayload`)),
  },
);

const sameEntry = (decoded: SpoolEntry, written: SpoolEntry) =>
  JSON.stringify({ ...decoded, record: { headers: decoded.record.headers, payload: decoded.record.payload.toString('base64') } }) ===
  JSON.stringify({ ...written, record: { headers: written.record.headers, payload: written.record.payload.toString('base64') } });

/** Byte flips, a cut, and garbage spliced in, applied to a valid segment. */
const damage = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
  cut: fc.option(fc.nat()),
  splice: fc.option(
    fc.tuple(
      fc.nat(),
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
        strayBody.map(framed),
      ),
    ),
  ),
});

function applyDamage(segment: Buffer, change: { flips: [number, number][]; cut: number | null; splice: [number, Buffer] | null }): { bytes: Buffer; firstDamage: number } {
  let bytes = Buffer.from(segment);
  let firstDamage = bytes.length;
  for (const [at, xor] of change.flips) {
    if (bytes.length === 0) break;
    const offset = at % bytes.length;
    bytes[offset] = (bytes[offset] as number) ^ xor;
    firstDamage = Math.min(firstDamage, offset);
  }
  if (change.splice) {
    const offset = change.splice[0] % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, offset), change.splice[1], bytes.subarray(offset)]);
    firstDamage = Math.min(firstDamage, offset);
  }
  if (change.cut !== null) {
    const length = change.cut % (bytes.length + 1);
    bytes = bytes.subarray(0, length);
    firstDamage = Math.min(firstDamage, length);
  }
  return { bytes, firstDamage };
}

test('spool segment fuzz: random bytes and CRC-valid stray bodies never throw and never decode to an entry', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
        fc.array(strayBody.map(framed), { minLength: 1, maxLength: 3 }).map((frames) => Buffer.concat(frames)),
      ),
      (bytes) => {
        const decoded = decodeSegment(bytes);
        for (const { entry } of decoded.entries) {
          // Only a well-formed entry may come out: anything else stops the decoding.
          assert.match(entry.id, /^[0-9a-f]{32}$/);
          assert.ok(
            entry.routes.every((target) => typeof target.route === 'string' && Array.isArray(target.to) && target.to.every((name) => typeof name === 'string')),
            `routes ${JSON.stringify(entry.routes)}`,
          );
        }
        assert.equal(decoded.discardedBytes + decoded.entries.reduce((total, { size }) => total + size, 0), bytes.length);
      },
    ),
    fuzzRuns('decodeSegment random', 1500),
  );
});

test('spool segment fuzz: a damaged segment decodes to a prefix of the entries written, all those before the first damaged byte included', () => {
  fc.assert(
    fc.property(fc.array(entryArbitrary, { minLength: 1, maxLength: 6 }), damage, (entries, change) => {
      const frames = entries.map(encodeEntry);
      const { bytes, firstDamage } = applyDamage(Buffer.concat(frames), change);
      const decoded = decodeSegment(bytes);
      assert.ok(decoded.entries.length <= entries.length);
      decoded.entries.forEach(({ entry }, index) => assert.ok(sameEntry(entry, entries[index] as SpoolEntry), `entry ${index} is the one written`));
      // Every frame that ends before the first damaged byte is recovered.
      let end = 0;
      let intact = 0;
      for (const frame of frames) {
        end += frame.length;
        if (end <= firstDamage) intact += 1;
      }
      assert.ok(decoded.entries.length >= intact, `${decoded.entries.length} recovered, ${intact} were intact`);
    }),
    fuzzRuns('decodeSegment damaged', 1500),
  );
});

test('spool segment fuzz: Spool.open on damaged segment and ack files never throws and recovers only written records', async (t) => {
  const root = await tempDir(t);
  let run = 0;
  const ackLine = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 10 })).map((parts) => parts.join('\u0000')),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(entryArbitrary, { minLength: 1, maxLength: 5 }),
      fc.option(fc.tuple(fc.nat(), strayBody)),
      damage,
      fc.array(ackLine, { maxLength: 5 }),
      async (entries, stray, change, acks) => {
        const dir = path.join(root, String((run += 1)));
        const frames = entries.map(encodeEntry);
        // A whole frame of the wrong shape between two good ones (another version's entry, a planted one).
        if (stray) frames.splice(stray[0] % (frames.length + 1), 0, framed(stray[1]));
        const { bytes } = applyDamage(Buffer.concat(frames), change);
        await mkdir(dir);
        await writeFile(path.join(dir, '0000000001.seg'), bytes);
        await writeFile(path.join(dir, '0000000001.ack'), acks.join('\n'));
        const { spool, recovery } = await Spool.open({ dir, durability: 'none', batchWindowMs: 0, maxBytes: null });
        const read = await spool.read(recovery.entries.map(({ entry }) => entry));
        await spool.close();
        for (const [index, { entry, pending }] of recovery.entries.entries()) {
          const back = read[index];
          assert.ok(back?.ok, 'a recovered record reads back');
          const recovered = { id: entry.id, acceptedAt: entry.acceptedAt, record: back.record, routes: entry.routes, revision: entry.revision };
          const written = entries.find((candidate) => candidate.id === entry.id && sameEntry(recovered, candidate));
          assert.ok(written, 'a recovered record was written');
          assert.ok(pending.length > 0);
        }
      },
    ),
    fuzzRuns('Spool.open damaged', 200),
  );
});
