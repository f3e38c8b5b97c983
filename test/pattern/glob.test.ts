import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationMatches, globCovers, segmentMatches } from '../../engine/pattern/glob.js';

test('classification patterns: "*" matches every classification', () => {
  assert.ok(classificationMatches('*', 'org.clearlinux/crash/clr'));
  assert.ok(classificationMatches('*', 'a//c'));
});

test('classification patterns: segment wildcards match within one segment only', () => {
  assert.ok(classificationMatches('org.clearlinux/crash/*', 'org.clearlinux/crash/clr'));
  assert.ok(classificationMatches('*/journal/*', 'org.clearlinux/journal/error'));
  assert.ok(classificationMatches('org.*/crash/c?r', 'org.clearlinux/crash/clr'));
  assert.ok(!classificationMatches('org.clearlinux/crash/*', 'org.clearlinux/kernel/bug'));
  assert.ok(!classificationMatches('org.clearlinux/crash', 'org.clearlinux/crash/clr'));
});

test('classification patterns: a shorter pattern ending in "*" covers the deeper segments', () => {
  assert.ok(classificationMatches('org.clearlinux/*', 'org.clearlinux/crash/clr'));
  assert.ok(!classificationMatches('org.clearlinux/*', 'org.example/crash/clr'));
});

test('classification patterns: covering is decided per segment', () => {
  assert.ok(globCovers('*', 'org.clearlinux/crash/*'));
  assert.ok(globCovers('org.clearlinux/*', 'org.clearlinux/crash/clr'));
  assert.ok(globCovers('org.clearlinux/crash/*', 'org.clearlinux/crash/cl*'));
  assert.ok(globCovers('*/crash/*', 'org.clearlinux/crash/clr'));
  assert.ok(!globCovers('org.clearlinux/crash/clr', 'org.clearlinux/crash/*'));
  assert.ok(!globCovers('org.clearlinux/crash/*', '*'));
  assert.ok(!globCovers('org.clearlinux/crash/c*', 'org.clearlinux/crash/*'));
  assert.ok(!globCovers('a/b/c', 'a/*'));
});

test('glob: a segment matches exactly what the equivalent regular expression matches, for 20,000 random pairs', () => {
  let state = 11;
  const next = (below: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * below);
  };
  const draw = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[next(alphabet.length)]).join('');
  for (let index = 0; index < 20_000; index += 1) {
    const glob = draw('ab?*', next(7));
    const text = draw('ab', next(9));
    const reference = new RegExp(`^${[...glob].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char)).join('')}$`);
    assert.equal(segmentMatches(glob, text), reference.test(text), `${JSON.stringify(glob)} on ${JSON.stringify(text)}`);
  }
});
