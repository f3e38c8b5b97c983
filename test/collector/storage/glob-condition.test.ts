/**
 * Classification patterns in SQL mean exactly what the agent's router means (engine/pattern/glob.ts),
 * on both backends, however a pattern splits into an indexable prefix and a full test — including
 * LIKE's own wildcards ("%", "_") and "\" in the prefix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globCondition } from '../../../engine/collector/storage/glob-condition.js';
import { classificationMatches } from '../../../engine/pattern/glob.js';
import { BACKENDS, openTestStore } from '../collector-helpers.js';
import { incomingRecord } from '../incoming-records.js';

// Neighbours of a prefix's bounds ('/' + 1 is '0'), LIKE's wildcards and escape, empty segments.
const SEGMENTS = ['a', 'ab', 'a.b', 'a_b', 'a%b', 'a\\b', 'a0', 'a1', 'b', 'z~', ''];

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

test('glob condition: an open-ended pattern with a literal start is a prefix alone; wildcards keep the full test', () => {
  assert.deepEqual(globCondition('org.clearlinux/crash/*'), { kind: 'prefix', prefix: 'org.clearlinux/crash/', exact: false }, 'three segments: "*" is one segment');
  assert.deepEqual(globCondition('org.clearlinux/*'), { kind: 'prefix', prefix: 'org.clearlinux/', exact: true });
  assert.deepEqual(globCondition('*'), { kind: 'prefix', prefix: '', exact: true });
  assert.deepEqual(globCondition('org.c?/x/*'), { kind: 'prefix', prefix: 'org.c', exact: false });
  assert.deepEqual(globCondition('*/crash/*'), { kind: 'prefix', prefix: '', exact: false });
  assert.deepEqual(globCondition('a/b/c'), { kind: 'equals', value: 'a/b/c' });
});

for (const backend of BACKENDS) {
  test(`glob condition [${backend.name}]: SQL selects exactly what the router's matcher matches, for 300 random patterns`, { skip: backend.skip }, async (t) => {
    const store = await openTestStore(t, backend);
    const next = random(7);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
    const classifications = new Set<string>();
    for (const a of SEGMENTS) for (const b of SEGMENTS.slice(0, 5)) for (const c of SEGMENTS.slice(0, 4)) classifications.add(`${a}/${b}/${c}`);
    const all = [...classifications];
    await store.insert(all.map((classification, index) => incomingRecord(index, { classification })));

    const patternSegment = () => {
      const base = pick(SEGMENTS);
      const roll = next();
      if (roll < 0.3) return base;
      if (roll < 0.5) return '*';
      if (roll < 0.7) return `${base}*`;
      if (roll < 0.85) return `${base.slice(0, 1)}?${base.slice(2)}`;
      return `*${base}`;
    };
    for (let index = 0; index < 300; index += 1) {
      // One in four is open-ended after literal segments ("a_b/*"): a prefix with no full test.
      const segments = index % 4 === 0 ? [...Array.from({ length: index % 8 === 0 ? 2 : 1 }, () => pick(SEGMENTS)), '*'] : Array.from({ length: 1 + Math.floor(next() * 3) }, patternSegment);
      const pattern = segments.join('/');
      const found = (await store.list({ filter: { classification: [pattern] }, limit: 1000 })).map((row) => row.classification).sort();
      const expected = all.filter((classification) => classificationMatches(pattern, classification)).sort();
      assert.deepEqual(found, expected, `pattern ${JSON.stringify(pattern)}`);
    }
  });
}
