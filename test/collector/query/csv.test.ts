/** CSV export cells: quoting (RFC 4180) and OWASP's rule against formula injection. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvValue } from '../../../engine/collector/query/csv.js';
import { postV3, startTestCollector, v3Body } from '../collector-helpers.js';

test('csvValue: a cell a spreadsheet would run as a formula starts with an apostrophe', () => {
  assert.equal(csvValue('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvValue('+cmd|/C calc'), "'+cmd|/C calc");
  assert.equal(csvValue('-2+3'), "'-2+3");
  assert.equal(csvValue('@SUM(A1:A9)'), "'@SUM(A1:A9)");
  assert.equal(csvValue('\tcmd'), "'\tcmd");
  assert.equal(csvValue('\r=1'), `"'\r=1"`);
});

test('csvValue: other cells are left as they are, quoted only when they hold a quote, comma or line break', () => {
  assert.equal(csvValue('plain'), 'plain');
  assert.equal(csvValue('a=b'), 'a=b');
  assert.equal(csvValue(4), '4');
  assert.equal(csvValue(null), '');
  assert.equal(csvValue('a,b'), '"a,b"');
  assert.equal(csvValue("'already"), "'already");
});

test('GET /api/records?format=csv: a payload =HYPERLINK("x") is exported as a cell starting with an apostrophe', async (t) => {
  const collector = await startTestCollector(t);
  assert.equal((await postV3(collector, v3Body({ classification: 'org.example/csv/test', event_id: 'c'.repeat(32) }, '=HYPERLINK("x")'))).status, 201);
  assert.equal((await postV3(collector, v3Body({ classification: 'org.example/csv/test', event_id: 'd'.repeat(32), board_name: '@SUM(1)' }, '+cmd|calc'))).status, 201);
  const text = await (await fetch(new URL('/api/records?format=csv', collector.url))).text();
  const rows = text.trimEnd().split('\r\n').slice(1);
  assert.equal(rows.length, 2);
  assert.match(rows[0] as string, /,'@SUM\(1\),.*,'\+cmd\|calc$/);
  assert.match(rows[1] as string, /,"'=HYPERLINK\(""x""\)"$/);
});
