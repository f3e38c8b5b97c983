import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { totalRejected } from '../../engine/intake/stats.js';
import { writeFrame } from '../../engine/probe/send.js';
import { sendRaw, startIntake, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';

test('intake fuzz: random frames in random pieces never crash or hang the server, and every connection is counted', async (t) => {
  const { server, sink, socketPath } = await startIntake(t, { readTimeoutMs: 100 });
  const good = testFrame();
  // Either random bytes or a good frame with a few bytes changed, cut into random pieces.
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }).map((flips) => {
      const bytes = Buffer.from(good);
      for (const [offset, value] of flips) bytes[offset] = value;
      return bytes;
    }),
  );
  const connection = fc.tuple(payload, fc.array(fc.nat(), { maxLength: 5 })).map(([bytes, cuts]) => {
    const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let start = 0;
    for (const point of [...points, bytes.length]) {
      if (point > start) chunks.push(bytes.subarray(start, point));
      start = point;
    }
    return chunks;
  });
  let connections = 0;
  await fc.assert(
    fc.asyncProperty(connection, async (chunks) => {
      connections++;
      await sendRaw(socketPath, chunks);
    }),
    { seed: 4242, numRuns: 300 },
  );
  await waitUntil(() => server.stats().accepted + totalRejected(server.stats()) === connections, 5000, 'every fuzz connection counted');
  assert.equal(sink.records.length, server.stats().accepted);

  // Still serving.
  await writeFrame(socketPath, testFrame({ payload: 'after the fuzz' }));
  await waitUntil(() => sink.records.at(-1)?.record.payload.toString() === 'after the fuzz', 2000, 'the record sent after the fuzz');
});
