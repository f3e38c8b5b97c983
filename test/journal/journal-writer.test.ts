import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rmdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { openJournalWriter } from '../../engine/journal/journal-writer.js';
import { readJournal } from '../../engine/journal/read-journal.js';
import { readRetainedPayload } from '../../engine/journal/retained-payloads.js';
import { tempDir } from '../helpers/tmp.js';
import { journalEntry, nthEntry, retention } from './fixtures.js';

const JOURNAL = '/var/log/telemetry/journal';
const RECORDS = '/var/log/telemetry/records';

async function journalLines(root: string): Promise<string[]> {
  const text = await readFile(path.join(root, JOURNAL), 'utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

function recordIds(lines: string[]): number[] {
  return lines.map((line) => parseInt(line.split('\x1e')[0] ?? '', 16));
}

test('journal writer: appends are written together after a short delay, and close() writes whatever is queued', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention(), batchDelayMs: 10_000 });
  assert.equal(journal.file, path.join(root, JOURNAL));
  for (let n = 1; n <= 3; n += 1) journal.append(nthEntry(n));
  assert.deepEqual(await journalLines(root).catch(() => []), [], 'nothing written before the batch is due');
  await journal.close();
  assert.deepEqual(recordIds(await journalLines(root)), [1, 2, 3]);
  journal.append(nthEntry(4));
  await journal.flush();
  assert.deepEqual(recordIds(await journalLines(root)), [1, 2, 3], 'appends after close are not written');
});

test('journal writer: a batch is written by itself once its delay has passed', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention(), batchDelayMs: 5 });
  t.after(() => journal.close());
  journal.append(nthEntry(1));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(recordIds(await journalLines(root)), [1]);
});

test('journal writer: the journal keeps the last journal_entries lines, pruned once it passes them by half', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention({ journal_entries: 10 }) });
  const sizes: number[] = [];
  for (let n = 1; n <= 22; n += 1) {
    journal.append(nthEntry(n));
    await journal.flush();
    sizes.push((await journalLines(root)).length);
  }
  await journal.close();
  assert.deepEqual(sizes, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 15, 10]);
  assert.deepEqual(recordIds(await journalLines(root)), [13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
  assert.deepEqual(await readdir(path.dirname(path.join(root, JOURNAL))), ['journal'], 'no temporary file is left behind');
});

test('journal writer: appendAllNow writes queued lines and its own in order before it returns, and keeps the bound by itself', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention({ journal_entries: 10 }), batchDelayMs: 10_000 });
  t.after(() => journal.close());
  journal.append(nthEntry(1));
  journal.appendAllNow([{ entry: nthEntry(2) }, { entry: nthEntry(3) }]);
  assert.deepEqual(recordIds(await journalLines(root)), [1, 2, 3], 'on disk when it returns, the queued line first');
  for (let n = 4; n <= 40; n += 3) journal.appendAllNow([{ entry: nthEntry(n) }, { entry: nthEntry(n + 1) }, { entry: nthEntry(n + 2) }]);
  const lines = recordIds(await journalLines(root));
  assert.ok(lines.length <= 15, `pruned without a flush: ${lines.length} lines`);
  assert.deepEqual(lines.slice(-3), [40, 41, 42]);
});

test('journal writer: an existing journal (upstream lines included) is continued and counted toward the bound', async (t) => {
  const root = await tempDir(t);
  const file = path.join(root, JOURNAL);
  await mkdir(path.dirname(file), { recursive: true });
  const upstream = Array.from({ length: 14 }, (_, n) => `${(100 + n).toString(16).padStart(32, '0')}\x1e1795385548\x1ea/b/c\x1e${'0'.repeat(32)}\x1eboot\n`);
  await writeFile(file, upstream.join(''));
  const journal = await openJournalWriter({ root, retention: retention({ journal_entries: 10 }) });
  journal.append(nthEntry(1));
  await journal.flush();
  assert.equal((await journalLines(root)).length, 15);
  journal.append(nthEntry(2));
  await journal.close();
  const lines = await journalLines(root);
  assert.equal(lines.length, 10);
  assert.deepEqual(recordIds(lines).slice(-2), [1, 2]);
});

test('journal writer: a line torn by a crash is left as one damaged line and the next entry starts a fresh one', async (t) => {
  const root = await tempDir(t);
  const file = path.join(root, JOURNAL);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'e5a21e01c00a963711eac53bb3b90b02\x1e17953');
  const journal = await openJournalWriter({ root, retention: retention() });
  journal.append(nthEntry(7));
  await journal.close();
  const contents = await readJournal({ file });
  assert.deepEqual(
    contents.entries.map((entry) => entry.recordId),
    [nthEntry(7).recordId],
  );
  assert.deepEqual(contents.problems, [{ line: 1, message: '2 fields, expected at least 5' }]);
});

test('journal writer: journal_entries 0 writes no journal', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention({ journal_entries: 0 }) });
  journal.append(nthEntry(1));
  await journal.close();
  assert.equal((await readJournal({ file: journal.file })).missing, true);
});

test('journal writer: an unwritable journal loses nothing while it can be written again before close', async (t) => {
  const root = await tempDir(t);
  const file = path.join(root, JOURNAL);
  const journal = await openJournalWriter({ root, retention: retention() });
  await mkdir(file);
  journal.append(nthEntry(1));
  await journal.flush();
  await rmdir(file);
  journal.append(nthEntry(2));
  await journal.close();
  assert.deepEqual(recordIds(await journalLines(root)), [1, 2]);
});

test('retention: the payloads of the last keep_payloads delivered records are kept, byte for byte', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention({ keep_payloads: 3 }) });
  for (let n = 1; n <= 5; n += 1) journal.append(nthEntry(n), Buffer.from(`payload ${n}\n\x00\xff`, 'latin1'));
  journal.append(nthEntry(6, { outcome: 'rejected', reason: 'http_400' }), Buffer.from('rejected payload'));
  // The same record delivered to a second destination: one file.
  journal.append(nthEntry(5, { destination: 'archive' }), Buffer.from('payload 5 again'));
  await journal.close();
  const dir = path.join(root, RECORDS);
  assert.deepEqual(
    (await readdir(dir)).sort(),
    [3, 4, 5].map((n) => nthEntry(n).recordId),
  );
  assert.deepEqual(await readRetainedPayload(dir, nthEntry(5).recordId), Buffer.from('payload 5\n\x00\xff', 'latin1'));
  assert.equal(await readRetainedPayload(dir, nthEntry(1).recordId), null);
  assert.equal(await readRetainedPayload(dir, '../journal'), null);
});

test('retention: after a restart the oldest retained files (by time) go first', async (t) => {
  const root = await tempDir(t);
  const dir = path.join(root, RECORDS);
  await mkdir(dir, { recursive: true });
  for (const [name, age] of [
    ['old', 300],
    ['older', 400],
    ['new', 100],
  ] as const) {
    await writeFile(path.join(dir, name), name);
    const when = new Date(Date.now() - age * 1000);
    await utimes(path.join(dir, name), when, when);
  }
  await writeFile(path.join(dir, 'not.a-record'), 'left alone');
  const journal = await openJournalWriter({ root, retention: retention({ keep_payloads: 2 }) });
  assert.deepEqual((await readdir(dir)).sort(), ['new', 'not.a-record', 'old']);
  journal.append(journalEntry({ recordId: 'fresh' }), Buffer.from('x'));
  await journal.close();
  assert.deepEqual((await readdir(dir)).sort(), ['fresh', 'new', 'not.a-record']);
});

test('retention: keep_payloads 0 keeps nothing', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention({ keep_payloads: 0 }) });
  journal.append(nthEntry(1), Buffer.from('x'));
  await journal.close();
  await assert.rejects(readdir(path.join(root, RECORDS)), { code: 'ENOENT' });
});
