import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { BOOT_ID_PLACEHOLDER, readBootId } from '../../engine/journal/boot-id.js';
import { matchesJournalFilter } from '../../engine/journal/filter.js';
import { formatJournalEntry, formatJournalTime, JOURNAL_VERBOSE_HEADER } from '../../engine/journal/format-text.js';
import { formatJournalLine, parseJournalLine, type JournalLine } from '../../engine/journal/line.js';
import { tempDir } from '../helpers/tmp.js';
import { BOOT_ID, CAPTURED_TIME, journalEntry } from './fixtures.js';

/** The journal line upstream telempostd wrote (reference §E.5, observed). */
const UPSTREAM_LINE = `e5a21e01c00a963711eac53bb3b90b02\x1e1795385548\x1eorg.example/journal/one\x1e78dbbb96a9636a7e2467cadcbce35863\x1e${BOOT_ID}`;

function parsed(text: string): JournalLine {
  const result = parseJournalLine(text);
  assert.ok('entry' in result, JSON.stringify(result));
  return result.entry;
}

test("journal line: upstream's five fields and separator first, then outcome, reason, route, destination and revision", () => {
  assert.equal(formatJournalLine(journalEntry({ time: CAPTURED_TIME + 999 })), `${UPSTREAM_LINE}\x1edelivered\x1e\x1edefault\x1ecentral\x1e12\n`);
  assert.equal(
    formatJournalLine(journalEntry({ outcome: 'dropped', reason: 'rate_limited', destination: null, policyRevision: 0 })),
    `${UPSTREAM_LINE}\x1edropped\x1erate_limited\x1edefault\x1e\x1e0\n`,
  );
});

test('journal line: a line written is read back as the same entry (time in whole seconds)', () => {
  const entry = journalEntry({ outcome: 'rejected', reason: 'http_400' });
  assert.deepEqual(parsed(formatJournalLine(entry).slice(0, -1)), entry);
});

test('journal line: separators or line breaks inside a value cannot split the line', () => {
  const line = formatJournalLine(journalEntry({ classification: 'a/b\x1ec', reason: 'x\ny' }));
  assert.equal(line.split('\n').length, 2);
  assert.equal(parsed(line.slice(0, -1)).classification, 'a/b c');
});

test("journal line: upstream's 5-field lines are read as entries without outcome or revision", () => {
  assert.deepEqual(parsed(UPSTREAM_LINE), { ...journalEntry(), outcome: null, reason: null, route: null, destination: null, policyRevision: null });
});

test('journal line: damaged lines are problems with a reason, not entries', () => {
  const problems = [
    'just some text',
    `${UPSTREAM_LINE}\x1edelivered\x1e`,
    UPSTREAM_LINE.replace('1795385548', 'yesterday'),
    `\x1e1795385548\x1ea/b/c\x1ee\x1eb`,
    `${UPSTREAM_LINE}\x1eexploded\x1e\x1e\x1e\x1e1`,
    `${UPSTREAM_LINE}\x1edelivered\x1e\x1e\x1e\x1etwelve`,
  ].map((text) => {
    const result = parseJournalLine(text);
    return 'problem' in result ? result.problem : 'parsed';
  });
  assert.deepEqual(problems, [
    '1 fields, expected at least 5',
    '7 fields, expected 5 or 10',
    'timestamp "yesterday" is not a number of seconds',
    'no record id',
    'unknown outcome "exploded"',
    'revision "twelve" is not a number',
  ]);
});

test('journal text: upstream\'s "%-30s %s %s %s %s" columns and strftime time, then the outcome column', () => {
  assert.equal(formatJournalTime(CAPTURED_TIME, 'UTC'), 'Sun 2026-11-22 22:12:28 UTC');
  assert.equal(formatJournalTime(CAPTURED_TIME, 'America/Los_Angeles'), 'Sun 2026-11-22 14:12:28 PST');
  assert.equal(
    formatJournalEntry(parsed(UPSTREAM_LINE), 'UTC'),
    `org.example/journal/one        Sun 2026-11-22 22:12:28 UTC e5a21e01c00a963711eac53bb3b90b02 78dbbb96a9636a7e2467cadcbce35863 ${BOOT_ID}\n`,
  );
  assert.equal(
    formatJournalEntry(journalEntry({ outcome: 'rejected', reason: 'http_400' }), 'UTC'),
    `org.example/journal/one        Sun 2026-11-22 22:12:28 UTC e5a21e01c00a963711eac53bb3b90b02 78dbbb96a9636a7e2467cadcbce35863 ${BOOT_ID} rejected:http_400@central\n`,
  );
  assert.equal(
    formatJournalEntry(journalEntry({ classification: 'org.example.a-very-long-name/crash/kernel', outcome: 'dropped', reason: 'spool_full', destination: null }), 'UTC'),
    `org.example.a-very-long-name/crash/kernel Sun 2026-11-22 22:12:28 UTC e5a21e01c00a963711eac53bb3b90b02 78dbbb96a9636a7e2467cadcbce35863 ${BOOT_ID} dropped:spool_full\n`,
  );
  assert.equal(
    JOURNAL_VERBOSE_HEADER,
    'Classification                 Time stamp                  Record ID                        Event ID                         Boot ID                              Outcome\n',
  );
});

test('journal filter: classification exact or "/*" prefix (as upstream), ids, boot id and outcome', () => {
  const entries = [
    journalEntry({ classification: 'a/b/c' }),
    journalEntry({ classification: 'a/b/d', eventId: '00007766547776eb7fc478eb0eb43e43' }),
    journalEntry({ classification: 'a/bc/d', outcome: 'dropped', reason: 'denied', bootId: 'other-boot' }),
    journalEntry({ classification: 't/t/t', recordId: 'ffff' }),
  ];
  const classes = (filter: Parameters<typeof matchesJournalFilter>[1]) => entries.filter((entry) => matchesJournalFilter(entry, filter)).map((entry) => entry.classification);
  assert.deepEqual(classes({ classification: 'a/b/c' }), ['a/b/c']);
  assert.deepEqual(classes({ classification: 'a/b/*' }), ['a/b/c', 'a/b/d']);
  assert.deepEqual(classes({ classification: 'a/*' }), ['a/b/c', 'a/b/d', 'a/bc/d']);
  assert.deepEqual(classes({ classification: 'a/b' }), []);
  assert.deepEqual(classes({ eventId: '00007766547776eb7fc478eb0eb43e43' }), ['a/b/d']);
  assert.deepEqual(classes({ recordId: 'ffff' }), ['t/t/t']);
  assert.deepEqual(classes({ bootId: 'other-boot' }), ['a/bc/d']);
  assert.deepEqual(classes({ outcome: 'dropped', classification: 'a/*' }), ['a/bc/d']);
  assert.deepEqual(classes({}), ['a/b/c', 'a/b/d', 'a/bc/d', 't/t/t']);
});

test('boot id: read from the kernel file under the root, or a clear placeholder when there is none', async (t) => {
  const root = await tempDir(t);
  assert.equal(await readBootId(root), BOOT_ID_PLACEHOLDER);
  await mkdir(path.join(root, 'proc/sys/kernel/random'), { recursive: true });
  await writeFile(path.join(root, 'proc/sys/kernel/random/boot_id'), `${BOOT_ID}\n`);
  assert.equal(await readBootId(root), BOOT_ID);
});
