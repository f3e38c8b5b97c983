import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedValues } from '../../engine/spool/shared-values.js';

test('shared values: equal values share one number and one kept copy; a number is reused once no record holds it', () => {
  const copies: string[] = [];
  const values = new SharedValues<string>({ key: (value) => value, own: (value) => (copies.push(value), `own:${value}`) });
  const a = values.take('org.example/a');
  assert.equal(values.take('org.example/a'), a);
  const b = values.take('org.example/b');
  assert.notEqual(b, a);
  assert.deepEqual(copies, ['org.example/a', 'org.example/b'], 'one copy a value');
  assert.equal(values.value(a), 'own:org.example/a');
  values.drop(a);
  assert.equal(values.value(a), 'own:org.example/a', 'still held once');
  values.drop(a);
  const c = values.take('org.example/c');
  assert.equal(c, a, 'the freed number is reused');
  assert.equal(values.value(c), 'own:org.example/c');
  assert.equal(values.value(b), 'own:org.example/b');
});
