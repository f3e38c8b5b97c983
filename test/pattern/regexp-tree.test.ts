import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Sequence, parseRegexp } from '../../engine/pattern/regexp-tree.js';

/** A compact picture of the tree: kind, quantifier and, for groups, their alternatives. */
function shape(sequences: readonly Sequence[]): unknown {
  return sequences.map((sequence) =>
    sequence.map(({ node, min, max, source }) => {
      const bounds = min === 1 && max === 1 ? '' : `{${min},${max === Infinity ? '' : max}}`;
      if (node.kind === 'group') return { [`${node.lookaround ? 'look' : 'group'}${bounds}`]: shape(node.alternatives) };
      return `${node.kind}${bounds} ${source}`;
    }),
  );
}

test('regexp tree: groups, alternatives and every quantifier form', () => {
  assert.deepEqual(shape(parseRegexp('^(a+|b*?)?c{2}d{1,}e{0,3}$')), [
    ['assertion ^', { 'group{0,1}': [['char{1,} a+'], ['char{0,} b*?']] }, 'char{2,2} c{2}', 'char{1,} d{1,}', 'char{0,3} e{0,3}', 'assertion $'],
  ]);
});

test('regexp tree: escapes, classes (with "]" and "|" inside), lookarounds and named groups', () => {
  assert.deepEqual(shape(parseRegexp('\\b[^\\]|]+(?<n>\\x41)(?!z)\\k<n>\\1\\.')), [
    ['assertion \\b', 'char{1,} [^\\]|]+', { group: [['char \\x41']] }, { look: [['char z']] }, 'backreference \\k<n>', 'backreference \\1', 'char \\.'],
  ]);
});

test('regexp tree: literal text is known, so alternatives can be compared', () => {
  const [sequence] = parseRegexp('a\\.\\n\\x41\\d.');
  assert.deepEqual(
    sequence?.map((item) => (item.node.kind === 'char' ? item.node.literal : item.node.kind)),
    ['a', '.', '\n', 'A', undefined, undefined],
  );
});

test('regexp tree: a "{" that starts no quantifier is a character, as JavaScript reads it', () => {
  assert.deepEqual(shape(parseRegexp('a{x}')), [['char a', 'char {', 'char x', 'char }']]);
});
