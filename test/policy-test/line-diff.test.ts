import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffLines, diffValues } from '../../engine/policy-test/line-diff.js';

test('diffValues: expected lines with -, actual with +, common ones indented; removals first', () => {
  assert.deepEqual(diffValues('deferred', 'delivered'), ['- "deferred"', '+ "delivered"']);
  assert.deepEqual(diffValues({ a: 1, b: 2 }, { a: 1, b: 3 }), ['  {', '    "a": 1,', '-   "b": 2', '+   "b": 3', '  }']);
  assert.deepEqual(diffValues(undefined, []), ['- (nothing)', '+ []']);
  assert.deepEqual(diffLines(['x', 'y'], ['y', 'z']), ['- x', '  y', '+ z']);
});
