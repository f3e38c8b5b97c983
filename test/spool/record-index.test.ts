import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SpooledRecord, referencesTo } from '../../engine/spool/index-entry.js';
import { type IndexFields, RecordIndex } from '../../engine/spool/record-index.js';
import { newSegment } from '../../engine/spool/segment.js';
import { decodeSegment, encodeEntry } from '../../engine/spool/entry.js';
import { testRecord } from '../helpers/records.js';

const segment = newSegment('/nonexistent', 1);

function fields(n: number, overrides: Partial<IndexFields> = {}): IndexFields {
  return {
    id: n.toString(16).padStart(32, '0'),
    acceptedAt: 1_795_385_359_000.5 + n,
    routes: [{ route: 'default', to: ['central', 'archive'] }],
    revision: 7 + n,
    classification: `org.example/index/${n}`,
    severity: 1 + (n % 4),
    eventId: `${n}`.padStart(32, 'a'),
    payloadBytes: 100 + n,
    segment,
    offset: 4_000_000_000 + n,
    size: 300 + n,
    ...overrides,
  };
}

function fieldsOf(entry: SpooledRecord): IndexFields {
  const { id, acceptedAt, routes, revision, classification, severity, eventId, payloadBytes, offset, size } = entry;
  return { id, acceptedAt, routes, revision, classification, severity, eventId, payloadBytes, segment: entry.segment, offset, size };
}

test('record index: every field reads back as written, across the columns growing', () => {
  const index = new RecordIndex();
  const entries = Array.from({ length: 3000 }, (_, n) => new (referencesTo(index))(fields(n)));
  for (const [n, entry] of entries.entries()) assert.deepEqual(fieldsOf(entry), fields(n));
  assert.equal(index.live, 3000);
});

test('record index: a settled reference keeps its own fields while its slot holds the next record', () => {
  const index = new RecordIndex();
  const first = new (referencesTo(index))(fields(1));
  assert.ok(first.settle('default', 'central'));
  assert.equal(first.settle('default', 'central'), false, 'a target settles once');
  assert.ok(first.settle('default', 'archive'));
  assert.ok(first.settled);
  first.release();
  const second = new (referencesTo(index))(fields(2));
  assert.equal(index.live, 1);
  assert.deepEqual(fieldsOf(first), fields(1));
  assert.deepEqual(fieldsOf(second), fields(2));
  assert.deepEqual(second.pendingKeys(), ['default\u0000central', 'default\u0000archive']);
  assert.equal(first.settle('default', 'central'), false, 'a released record settles nothing of the record now in its slot');
  assert.deepEqual(second.pendingKeys(), ['default\u0000central', 'default\u0000archive']);
});

test('record index: event ids of any text, revisions of any size, and records with more targets than bits keep what they hold', () => {
  const index = new RecordIndex();
  const odd = new (referencesTo(index))(fields(1, { eventId: 'not hex: ünïcode' }));
  for (const revision of [0, 2 ** 32 - 1, 2 ** 32, 1_795_385_359_000, 1.5, -1]) assert.equal(new (referencesTo(index))(fields(3, { revision })).revision, revision);
  const to = Array.from({ length: 40 }, (_, n) => `d${n}`);
  const wide = new (referencesTo(index))(fields(2, { routes: [{ route: 'r', to }] }), ['r\u0000d3', 'r\u0000d39']);
  assert.equal(odd.eventId, 'not hex: ünïcode');
  assert.deepEqual(wide.pendingKeys(), ['r\u0000d3', 'r\u0000d39']);
  assert.ok(wide.settle('r', 'd39'));
  assert.equal(wide.settle('r', 'd0'), false);
  assert.ok(wide.settle('r', 'd3'));
  assert.ok(wide.settled);
});

test('record index: an id that is not 32 lowercase hex is refused, not stored garbled', () => {
  const index = new RecordIndex();
  assert.throws(() => new (referencesTo(index))(fields(1, { id: 'ABC' })), /not a spool record id/);
  assert.equal(index.live, 0);
});

test('spool recovery: a CRC-valid frame whose severity is not 1–4 is not a record (the index keeps severity in a byte)', () => {
  const good = encodeEntry({ id: 'a'.repeat(32), acceptedAt: 1, record: testRecord({ severity: 2 }), routes: [{ route: 'r', to: ['d'] }], revision: 1 });
  const bad = encodeEntry({
    id: 'b'.repeat(32),
    acceptedAt: 1,
    record: { ...testRecord(), headers: { ...testRecord().headers, severity: '300' } },
    routes: [{ route: 'r', to: ['d'] }],
    revision: 1,
  });
  assert.deepEqual(
    decodeSegment(Buffer.concat([good, bad])).entries.map(({ entry }) => entry.id),
    ['a'.repeat(32)],
  );
});
