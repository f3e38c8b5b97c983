import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkClassification, checkEventId, checkReceivedClassification, checkSeverity, randomId } from '../../engine/record/classification.js';
import { checkPayloadText } from '../../engine/record/payload.js';

const message = (problem: { message: string } | null): string | null => problem?.message ?? null;

test('checkClassification: every part may have 40 characters, not 41 (upstream let the first part have 41)', () => {
  const forty = 'a'.repeat(40);
  const fortyOne = 'a'.repeat(41);
  assert.equal(checkClassification(`${forty}/${forty}/${forty}`), null);
  for (const value of [`${fortyOne}/b/c`, `a/${fortyOne}/c`, `a/b/${fortyOne}`]) {
    assert.equal(message(checkClassification(value)), 'Classification strings between slashes should have at most 40 chars', value);
  }
});

test('checkClassification: upstream library vectors — t/t/t ok, t/t and t/t/t/t refused, // allowed', () => {
  assert.equal(checkClassification('t/t/t'), null);
  assert.equal(checkClassification('//'), null);
  for (const value of ['t/t', 't/t/t/t']) {
    assert.equal(message(checkClassification(value)), "Classification needs to be in most/to/least specific format, 2 '/' required.");
  }
});

test('checkClassification: empty, over 122 bytes, non-ASCII and control characters are refused with their messages', () => {
  assert.equal(message(checkClassification('')), 'Valid size for classification is 1-122 chars');
  assert.equal(message(checkClassification(`${'a'.repeat(40)}/${'b'.repeat(40)}/${'c'.repeat(41)}`)), 'Valid size for classification is 1-122 chars');
  assert.equal(message(checkClassification('a/b/é')), 'Non-ascii characters detected in classification - aborting');
  assert.equal(message(checkClassification('a/b/c\nseverity: 4')), 'Control characters detected in classification - aborting');
});

test('checkReceivedClassification: what libtelemetry lets through (41-char part, non-ASCII) is still accepted from the socket', () => {
  assert.equal(checkReceivedClassification(`${'a'.repeat(41)}/b/c`), null);
  assert.equal(checkReceivedClassification('a/b/é'), null);
  assert.notEqual(checkReceivedClassification('a/b'), null);
});

test('checkSeverity: 1..4 only', () => {
  assert.deepEqual(
    [0, 1, 4, 5, 2.5, -1].map((value) => checkSeverity(value) === null),
    [false, true, true, false, false, false],
  );
});

test('checkEventId: upstream vectors (libtelemetry check suite and telem-record-gen messages)', () => {
  assert.equal(checkEventId('aaaaaa00000033333344444466666622'), null);
  assert.equal(message(checkEventId('aaaaaa000000333333444444666666ZZ')), "event_id contains invalid character 'Z' at position 30, valid characters are 0123456789abcdef");
  assert.equal(message(checkEventId('aaaa')), 'event_id length 4 it should have 32 characters');
  assert.equal(message(checkEventId('0'.repeat(43))), 'event_id length 43 it should have 32 characters');
});

test('randomId: 32 lowercase hex characters, different each time', () => {
  const ids = new Set(Array.from({ length: 100 }, randomId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});

test('checkPayloadText: UTF-8 text with whitespace is fine; control characters and invalid UTF-8 are refused', () => {
  assert.equal(checkPayloadText(Buffer.from('café\tcrème\r\nline\v\f')), null);
  assert.equal(message(checkPayloadText(Buffer.from('ok\u0001'))), 'payload contains control character 0x01 at byte 2; payloads must be text');
  assert.equal(message(checkPayloadText(Buffer.from('é\u007f'))), 'payload contains control character 0x7f at byte 2; payloads must be text');
  assert.equal(message(checkPayloadText(Buffer.from([0xc3]))), 'payload is not valid UTF-8 text');
});
