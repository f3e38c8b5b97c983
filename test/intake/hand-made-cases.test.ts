/**
 * The 19 hand-made frames of captured-socket.txt, replayed against our intake. Where upstream
 * telemprobd dropped a frame a probe could legitimately send (split writes, payloads of
 * 8188..8192 bytes), we accept it; a record no collector would take (one-slash classification)
 * is refused here with a reason instead of being staged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totalRejected } from '../../engine/intake/stats.js';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { formatHeaderLines } from '../../engine/record/header-lines.js';
import { handMadeCases } from '../helpers/conformance.js';
import { sendRaw, startIntake, waitUntil } from '../helpers/intake.js';
import { testRecord } from '../helpers/records.js';

interface RawFrame {
  readonly lines?: readonly string[];
  readonly payload?: string;
  readonly nul?: boolean;
  readonly sizeDelta?: number;
  readonly size?: number;
  readonly headerSize?: number;
  readonly configPath?: string;
}

const GOOD_LINES = formatHeaderLines(testRecord().headers).split('\n').slice(0, RECORD_HEADERS.length);

/** A frame assembled by hand, so each field can be made wrong on purpose. */
function rawFrame(frame: RawFrame = {}): Buffer {
  const headers = Buffer.from((frame.lines ?? GOOD_LINES).map((line) => `${line}\n`).join(''));
  const cfg = frame.configPath === undefined ? Buffer.alloc(0) : Buffer.from(`CFG:${frame.configPath}\0`);
  const headerSize = Buffer.alloc(4);
  headerSize.writeUInt32LE(frame.headerSize ?? headers.length);
  const body = Buffer.concat([Buffer.from(frame.payload ?? 'payload'), Buffer.from(frame.nul === false ? '' : '\0')]);
  const bytes = Buffer.concat([Buffer.alloc(4), cfg, headerSize, headers, body]);
  bytes.writeUInt32LE(frame.size ?? bytes.length + (frame.sizeDelta ?? 0));
  return bytes;
}

function halves(bytes: Buffer, at: number): Buffer[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

type Outcome = { accepted: { payload: string; classification?: string; configPath?: string } } | { rejected: string };

interface Case {
  readonly chunks: Buffer[];
  readonly pauseMs?: number;
  readonly expected: Outcome;
}

const good = rawFrame();
const swapped = [...GOOD_LINES];
[swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];

const CASES: Record<number, Case> = {
  1: { chunks: [good], expected: { accepted: { payload: 'payload' } } },
  2: { chunks: halves(good, 4), pauseMs: 200, expected: { accepted: { payload: 'payload' } } },
  3: { chunks: halves(good, good.length >> 1), pauseMs: 200, expected: { accepted: { payload: 'payload' } } },
  4: { chunks: [Buffer.concat([good, rawFrame({ payload: 'second' })])], expected: { accepted: { payload: 'payload' } } },
  5: { chunks: [rawFrame({ size: 4 })], expected: { rejected: 'size_out_of_range' } },
  6: { chunks: [rawFrame({ size: 13501 })], expected: { rejected: 'truncated' } },
  7: { chunks: [rawFrame({ sizeDelta: -1 })], expected: { accepted: { payload: 'payload' } } },
  8: { chunks: [rawFrame({ sizeDelta: 1 })], expected: { rejected: 'truncated' } },
  9: { chunks: [rawFrame({ nul: false })], expected: { accepted: { payload: 'payload' } } },
  10: { chunks: [rawFrame({ payload: 'a'.repeat(8187) })], expected: { accepted: { payload: 'a'.repeat(8187) } } },
  11: { chunks: [rawFrame({ payload: 'a'.repeat(8188) })], expected: { accepted: { payload: 'a'.repeat(8188) } } },
  12: { chunks: [rawFrame({ payload: '' })], expected: { accepted: { payload: '' } } },
  13: {
    chunks: [rawFrame({ lines: GOOD_LINES.map((line) => line.replace(/^classification:/, 'classificationX:')) })],
    expected: { accepted: { payload: 'payload', classification: 'org.example/probe/test' } },
  },
  14: { chunks: [rawFrame({ lines: swapped })], expected: { rejected: 'bad_headers' } },
  15: { chunks: [rawFrame({ lines: GOOD_LINES.slice(0, 14) })], expected: { rejected: 'bad_headers' } },
  16: {
    chunks: [rawFrame({ lines: GOOD_LINES.map((line) => line.replace(/^classification: .*/, 'classification: org.example/probe')) })],
    expected: { rejected: 'bad_classification' },
  },
  17: {
    chunks: [rawFrame({ configPath: '/etc/telemetrics/does-not-exist.conf' })],
    expected: { accepted: { payload: 'payload', configPath: '/etc/telemetrics/does-not-exist.conf' } },
  },
  18: { chunks: [rawFrame({ payload: 'line one\nline two\n' })], expected: { accepted: { payload: 'line one\nline two\n' } } },
  19: { chunks: [rawFrame({ headerSize: good.length })], expected: { rejected: 'bad_header_size' } },
};

test('hand-made cases: every case of captured-socket.txt has an expected outcome here', () => {
  const cases = handMadeCases();
  assert.equal(cases.length, 19);
  assert.deepEqual(
    cases.map((entry) => entry.number),
    Object.keys(CASES).map(Number),
  );
});

for (const entry of handMadeCases()) {
  const { chunks, pauseMs, expected } = CASES[entry.number]!;
  const ours = 'accepted' in expected ? 'accepted' : `rejected as ${expected.rejected}`;
  test(`hand-made case ${entry.number}: ${entry.description} (upstream ${entry.upstream}) -> ${ours}`, async (t) => {
    const { server, sink, socketPath } = await startIntake(t, { readTimeoutMs: 1000 });
    await sendRaw(socketPath, chunks, pauseMs === undefined ? {} : { pauseMs });
    await waitUntil(() => server.stats().accepted + totalRejected(server.stats()) === 1);
    if ('accepted' in expected) {
      assert.equal(sink.records.length, 1, JSON.stringify(server.stats().rejected));
      const [accepted] = sink.records;
      assert.equal(accepted!.record.payload.toString(), expected.accepted.payload);
      if (expected.accepted.classification) assert.equal(accepted!.record.headers.classification, expected.accepted.classification);
      assert.equal(accepted!.configPath, expected.accepted.configPath ?? null);
    } else {
      assert.equal(sink.records.length, 0);
      assert.equal(server.stats().rejected[expected.rejected as keyof ReturnType<typeof server.stats>['rejected']], 1);
    }
  });
}
