import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { recordJson } from '../../engine/deliver/record-json.js';
import { parseRetryAfter } from '../../engine/deliver/retry-after.js';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { sampleRecord } from './fixtures.js';

/** json-c's escaping as reference §C.1 describes it, written out independently of JSON.stringify. */
function upstreamEscape(text: string): string {
  const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b', '\f': '\\f' };
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += short[char] ?? (code < 0x20 ? `\\u00${code.toString(16).padStart(2, '0')}` : char);
  }
  return `"${out}"`;
}

test('record JSON: keys in wire order, values escaped exactly as upstream escaped them, "/" left alone', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), (payload, cpu) => {
      const record = sampleRecord({ cpu_model: cpu }, payload);
      const expected = `{${[...RECORD_HEADERS.map((name) => `"${name}":${upstreamEscape(record.headers[name])}`), `"payload":${upstreamEscape(record.payload.toString('utf8'))}`].join(',')}}`;
      assert.equal(recordJson(record), expected);
    }),
  );
  assert.match(recordJson(sampleRecord({ classification: 'org.example/a/b' }, 'a/b')), /"classification":"org\.example\/a\/b".*"payload":"a\/b"}$/);
});

test('record JSON: payload bytes that are not UTF-8 become U+FFFD instead of breaking the document', () => {
  const record = { ...sampleRecord(), payload: Buffer.from([0x61, 0xff, 0x62]) };
  assert.equal((JSON.parse(recordJson(record)) as { payload: string }).payload, 'a\ufffdb');
});

test('Retry-After: delay seconds, an HTTP date, a past date, and unreadable values', () => {
  const now = Date.parse('2026-11-22T22:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Sun, 22 Nov 2026 22:01:30 GMT', now), 90_000);
  assert.equal(parseRetryAfter('Sun, 22 Nov 2026 21:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter('1.5', now), undefined);
  assert.equal(parseRetryAfter('later', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});
