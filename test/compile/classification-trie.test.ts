import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildTrie, lookupTrie } from '../../engine/compile/classification-trie.js';
import { classificationMatches } from '../../engine/pattern/glob.js';

test('classification trie: finds every matching pattern in pattern order', () => {
  const patterns = ['org.clearlinux/crash/*', '*', 'org.clearlinux/*', '*/journal/*', 'org.clearlinux/crash/clr', 'org.*/kernel/b?g'];
  const trie = buildTrie(patterns);
  assert.deepEqual(lookupTrie(trie, 'org.clearlinux/crash/clr'), [0, 1, 2, 4]);
  assert.deepEqual(lookupTrie(trie, 'org.clearlinux/journal/error'), [1, 2, 3]);
  assert.deepEqual(lookupTrie(trie, 'org.clearlinux/kernel/bug'), [1, 2, 5]);
  assert.deepEqual(lookupTrie(trie, 'org.example/probe/test'), [1]);
});

test('classification trie: agrees with the reference matcher on random patterns and classifications', () => {
  const segment = fc.stringMatching(/^[ab*?]{0,3}$/);
  const pattern = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
  const classification = fc.array(fc.stringMatching(/^[ab]{0,3}$/), { minLength: 3, maxLength: 3 }).map((parts) => parts.join('/'));
  fc.assert(
    fc.property(fc.array(pattern, { minLength: 1, maxLength: 8 }), classification, (patterns, name) => {
      const expected = patterns.flatMap((candidate, index) => (classificationMatches(candidate, name) ? [index] : []));
      assert.deepEqual(lookupTrie(buildTrie(patterns), name), expected);
    }),
    { seed: 20261122, numRuns: 500 },
  );
});
