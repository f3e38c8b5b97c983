/**
 * Random frames, in random pieces, to the live agent (`telem run`): it never stops serving, every
 * connection is accounted for (a record delivered or a logged refusal), and what it delivers is
 * exactly the frames the decoder accepts, byte for byte.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkFrameSize, decodeFrame, SIZE_FIELD_BYTES } from '../../engine/record/frame.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { sendRaw } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus, archivedRecords, eventually } from './agent-probe.js';
import { fuzzRuns } from './fuzz-settings.js';

/** What the agent should do with these bytes on one connection: the record it accepts, or null. */
function expectedRecord(bytes: Buffer): { classification: string; event_id: string; payload: string } | null {
  if (bytes.length < SIZE_FIELD_BYTES) return null;
  const size = bytes.readUInt32LE(0);
  if (checkFrameSize(size) || bytes.length < size) return null;
  const decoded = decodeFrame(bytes.subarray(0, size));
  if (!decoded.ok) return null;
  return { classification: decoded.record.headers.classification, event_id: decoded.record.headers.event_id, payload: decoded.record.payload.toString('utf8') };
}

const key = (record: { classification: string; event_id: string; payload: string }) => JSON.stringify([record.classification, record.event_id, record.payload]);

test('agent socket fuzz: random and damaged frames in random pieces; the agent keeps serving and delivers exactly the frames the decoder accepts', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(
    root,
    `apiVersion: telem/v1
kind: Policy
metadata: { name: socket-fuzz }
consent: { require_opt_in: false }
intake: { read_timeout: 300ms }
spool: { durability: none }
destinations:
  archive: { type: file, path: /var/log/telemetry/archive.ndjson, fsync: false }
routes: [{ name: all, to: [archive] }]
`,
  );
  const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'] });
  const classification = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('org.example/fuzz/a', 'a/b/c', 'x.y/../z') },
    fc.constantFrom('org.example/fuzz/a', 'a/b/c', '*/x/y', 'x/y', 'a/b/c/d', 'a\u0001/b/c'),
    fc.string({ maxLength: 20 }),
  );
  const wellFormed = fc
    .record({
      classification,
      severity: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) }, fc.integer({ min: -1, max: 9 })),
      payload: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 50, unit: 'grapheme' })),
      configPath: fc.option(
        fc.string({ minLength: 1, maxLength: 30 }).filter((text) => !text.includes('\0')),
        { nil: undefined },
      ),
    })
    .map((options) => {
      try {
        return testFrame(options);
      } catch {
        return Buffer.alloc(0);
      }
    });
  const good = testFrame({ payload: 'a good frame to damage', configPath: '/etc/telemetrics/alt.conf' });
  const damaged = fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
    const bytes = Buffer.from(good);
    for (const [offset, value] of flips) bytes[offset] = value;
    return bytes;
  });
  const bytes = fc.oneof(
    wellFormed,
    damaged,
    fc.uint8Array({ maxLength: 300 }).map((raw) => Buffer.from(raw)),
    fc.tuple(wellFormed, fc.uint8Array({ maxLength: 20 })).map(([frame, extra]) => Buffer.concat([frame, extra])),
  );
  const connection = fc.tuple(bytes, fc.array(fc.nat(), { maxLength: 4 }));

  const expected: string[] = [];
  let connections = 0;
  await fc.assert(
    fc.asyncProperty(connection, async ([payload, cuts]) => {
      const points = [...new Set(cuts.map((cut) => cut % (payload.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let start = 0;
      for (const point of [...points, payload.length]) {
        if (point > start) chunks.push(payload.subarray(start, point));
        start = point;
      }
      connections += 1;
      const record = expectedRecord(payload);
      if (record) expected.push(key(record));
      await sendRaw(agent.socketPath, chunks);
    }),
    fuzzRuns('agent socket', 300),
  );

  const delivered = () => archivedRecords(root) as Promise<{ classification: string; event_id: string; payload: string }[]>;
  // Refusals are counted (the log is rate-limited); connections that sent nothing are counted apart.
  const refused = async () => {
    const { intake } = (await agentStatus(agent)) as unknown as { intake: { refused: Record<string, number>; empty: number } };
    return Object.values(intake.refused).reduce((sum, count) => sum + count, 0) + intake.empty;
  };
  await eventually(
    async () => (await delivered()).length + (await refused()),
    (count) => count === connections,
    { timeoutMs: 10_000, what: `all ${connections} connections accounted for` },
  );
  assert.deepEqual((await delivered()).map(key).sort(), [...expected].sort(), 'delivered exactly what the decoder accepts');
  assert.ok(expected.length > 0 && expected.length < connections, `${expected.length} of ${connections} accepted: the fuzz reached both sides`);
  t.diagnostic(`${connections} connections: ${expected.length} records delivered, ${await refused()} refused with a counted reason`);

  // Still serving.
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'after the fuzz' })]), null);
  await eventually(delivered, (records) => records.some((record) => record.payload === 'after the fuzz'), { timeoutMs: 5000, what: 'the record sent after the fuzz' });
  assert.equal(await agent.stop(), 0);
});
