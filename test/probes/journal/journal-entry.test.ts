/** Lines of journalctl --output=json in each form a value takes, and the payload rules of an event. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CUT_MARK, messagePayload } from '../../../engine/probes/journal/entry-event.js';
import { parseJournalLine } from '../../../engine/probes/journal/journal-entry.js';

test('journal entry: string values are taken as they are, the realtime timestamp becomes a time', () => {
  const line = JSON.stringify({
    __CURSOR: 's=1;i=2;b=3;m=4;t=5;x=6',
    __REALTIME_TIMESTAMP: '1700000004000456',
    PRIORITY: '3',
    _SYSTEMD_UNIT: 'ssh.service',
    SYSLOG_IDENTIFIER: 'sshd',
    MESSAGE: 'fatal: error',
  });
  assert.deepEqual(parseJournalLine(line), {
    cursor: 's=1;i=2;b=3;m=4;t=5;x=6',
    message: 'fatal: error',
    priority: 3,
    unit: 'ssh.service',
    identifier: 'sshd',
    time: new Date(1_700_000_004_000),
  });
});

test('journal entry: a MESSAGE of byte values is decoded as UTF-8, an invalid byte as U+FFFD', () => {
  const bytes = [...Buffer.from('caf\u00e9\nline two '), 0xc3, 0x28];
  assert.equal(parseJournalLine(JSON.stringify({ MESSAGE: bytes }))?.message, 'caf\u00e9\nline two \uFFFD(');
  assert.equal(parseJournalLine(JSON.stringify({ MESSAGE: [] }))?.message, '');
});

test('journal entry: of a field given more than once, the first value counts; null (a value journalctl left out) is no value', () => {
  assert.equal(parseJournalLine(JSON.stringify({ MESSAGE: ['first', 'second'] }))?.message, 'first');
  assert.equal(parseJournalLine(JSON.stringify({ MESSAGE: [[104, 105], 'second'] }))?.message, 'hi');
  assert.equal(parseJournalLine(JSON.stringify({ MESSAGE: null }))?.message, undefined);
  assert.equal(parseJournalLine(JSON.stringify({ PRIORITY: '3' }))?.message, undefined);
});

test('journal entry: a priority that is not 0 to 7 and a timestamp that is not a number count as absent', () => {
  assert.deepEqual(parseJournalLine(JSON.stringify({ PRIORITY: 'err', __REALTIME_TIMESTAMP: 'soon' })), {
    cursor: undefined,
    message: undefined,
    priority: undefined,
    unit: undefined,
    identifier: undefined,
    time: undefined,
  });
  assert.equal(parseJournalLine(JSON.stringify({ PRIORITY: '8' }))?.priority, undefined);
});

test('journal entry: a line that is not a JSON object is no entry', () => {
  assert.equal(parseJournalLine('-- No entries --'), null);
  assert.equal(parseJournalLine('[1,2]'), null);
  assert.equal(parseJournalLine('null'), null);
  assert.equal(parseJournalLine(''), null);
});

test('journal payload: the message and a newline; exactly 8192 bytes is not cut, one more is', () => {
  assert.equal(messagePayload('disk full'), 'disk full\n');
  const fits = 'x'.repeat(8191);
  assert.equal(messagePayload(fits), `${fits}\n`);
  assert.equal(messagePayload(`${fits}y`), `${'x'.repeat(8192 - CUT_MARK.length)}...\n`);
});

test('journal payload: a cut falling inside a character leaves the whole character out', () => {
  // A 4-byte emoji across the cut at byte 8188: "x" and 2046 emoji take 8185 bytes, the next would end at 8189.
  const payload = messagePayload(`x${'\u{1F600}'.repeat(3000)}`);
  assert.equal(payload, `x${'\u{1F600}'.repeat(2046)}...\n`);
  assert.equal(Buffer.byteLength(payload), 8189);
});

test('journal payload: control characters other than whitespace become U+FFFD, tabs and line breaks stay', () => {
  assert.equal(messagePayload('a\u0000b\u001b[1mc\u007fd\te\r\nf'), 'a\uFFFDb\uFFFD[1mc\uFFFDd\te\r\nf\n');
});
