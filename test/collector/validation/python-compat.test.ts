/** The Python behaviours upstream's messages depend on. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrintable, parsePythonInt, pyRepr } from '../../../engine/collector/validation/python-compat.js';

test('pyRepr: quotes and escapes text as Python repr() does', () => {
  assert.equal(pyRepr('abc'), "'abc'");
  assert.equal(pyRepr("it's"), `"it's"`);
  assert.equal(pyRepr(`it's "x"`), `'it\\'s "x"'`);
  assert.equal(pyRepr('a\tb\nc\\'), "'a\\tb\\nc\\\\'");
  assert.equal(pyRepr('\x01é'), "'\\x01é'");
});

test('parsePythonInt: accepts what int() accepts for ASCII text', () => {
  assert.equal(parsePythonInt(' +5 '), 5);
  assert.equal(parsePythonInt('-7'), -7);
  assert.equal(parsePythonInt('1_000'), 1000);
  for (const bad of ['abc', '1.5', '', '1__0', '_1', '0x10']) assert.equal(parsePythonInt(bad), undefined, bad);
});

test('isPrintable: ASCII letters, digits, punctuation and whitespace only', () => {
  assert.equal(isPrintable('Intel(R) Core(TM) i5 @ 2.20GHz\t'), true);
  assert.equal(isPrintable('Intel® Core™'), false);
});
