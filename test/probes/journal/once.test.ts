/**
 * journalProbe.once on real journal files (written by systemd-journal-remote) and read back by the
 * real journalctl: what each setting selects and what the events hold.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TelemError } from '../../../engine/errors/telem-error.js';
import { journalctlSelection, selectsEntry } from '../../../engine/probes/journal/entry-filter.js';
import { readJournal } from '../../../engine/probes/journal/journalctl.js';
import { journalProbe } from '../../../engine/probes/journal/probe.js';
import { journalProbeSchema } from '../../../schemas/probes.js';
import { skipUnlessRequired } from '../../helpers/skip.js';
import { EARLIER_BOOT_ID, type ExportEntry, journalRemoteMissing, writeBootId, writeJournalFile } from './journal-file.js';

const skip = skipUnlessRequired(journalRemoteMissing());

const T0 = 1_700_000_000_000_000;

/** A boot's worth of entries: the probe's defaults send the four marked "sent". */
const ENTRIES: readonly ExportEntry[] = [
  { realtimeUs: T0 + 1_000_000, priority: 3, identifier: 'nginx', unit: 'nginx.service', message: 'bind() to 0.0.0.0:80 failed (98: Address already in use)' }, // sent
  { realtimeUs: T0 + 2_000_000, priority: 6, identifier: 'nginx', unit: 'nginx.service', message: 'started' },
  { realtimeUs: T0 + 3_000_000, priority: 2, identifier: 'kernel', message: 'EXT4-fs error (device sda1): bad block bitmap' }, // sent
  {
    realtimeUs: T0 + 4_000_456,
    priority: 3,
    identifier: 'sshd',
    unit: 'ssh.service',
    message: Buffer.concat([Buffer.from('fatal: first line\nsecond '), Buffer.from([0xff]), Buffer.from(' line')]),
  }, // sent
  { realtimeUs: T0 + 5_000_000, priority: 0, identifier: 'systemd', unit: 'init.scope' },
  { realtimeUs: T0 + 6_000_000, priority: 4, identifier: 'sshd', unit: 'ssh.service', message: 'a warning' },
  { realtimeUs: T0 + 7_000_000, priority: 3, identifier: 'helper', unit: 'ssh.service', message: 'colour \u001b[31mred\u001b[0m' }, // sent
  { realtimeUs: T0 + 8_000_000, priority: 1, identifier: 'sshd', unit: 'nginx.service', bootId: EARLIER_BOOT_ID, message: 'from an earlier boot' }, // sent
];

let dir = '';
let file = '';

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'telem-journal-once-'));
  file = path.join(dir, 'saved.journal');
  await writeJournalFile(file, ENTRIES);
});

after(() => rm(dir, { recursive: true, force: true }));

function settings(overrides: Record<string, unknown> = {}) {
  return journalProbeSchema.parse({ enabled: true, ...overrides });
}

async function payloads(overrides: Record<string, unknown>): Promise<string[]> {
  return (await journalProbe.once(settings(overrides), { root: dir, input: file })).map((event) => event.payload);
}

test('journal probe once --input: one event per entry of priority 3 or more urgent that has a MESSAGE, the MESSAGE and a newline at the entry time', { skip }, async () => {
  const events = await journalProbe.once(settings(), { root: dir, input: file });
  const event = { classification: 'org.clearlinux/journal/error', severity: 2 };
  assert.deepEqual(events, [
    { ...event, payload: 'bind() to 0.0.0.0:80 failed (98: Address already in use)\n', createdAt: new Date(1_700_000_001_000) },
    { ...event, payload: 'EXT4-fs error (device sda1): bad block bitmap\n', createdAt: new Date(1_700_000_003_000) },
    // Binary (invalid UTF-8, a line break): decoded with U+FFFD for the byte that is not UTF-8; the time is cut to the millisecond.
    { ...event, payload: 'fatal: first line\nsecond \uFFFD line\n', createdAt: new Date(1_700_000_004_000) },
    // Control characters are not payload text: each becomes U+FFFD.
    { ...event, payload: 'colour \uFFFD[31mred\uFFFD[0m\n', createdAt: new Date(1_700_000_007_000) },
    // A saved file is read whole: the boot filter is the live journal's, a file may hold any boot.
    { ...event, payload: 'from an earlier boot\n', createdAt: new Date(1_700_000_008_000) },
  ]);
});

test('journal probe once: classification and severity come from the settings', { skip }, async () => {
  const events = await journalProbe.once(settings({ classification: 'org.example/journal/oops', severity: 4, max_priority: 1 }), { root: dir, input: file });
  assert.deepEqual(
    events.map((event) => [event.classification, event.severity, event.payload]),
    [['org.example/journal/oops', 4, 'from an earlier boot\n']],
  );
});

test('journal probe once: max_priority 4 adds warnings, 2 keeps only critical and more urgent', { skip }, async () => {
  assert.deepEqual(await payloads({ max_priority: 4 }), [
    'bind() to 0.0.0.0:80 failed (98: Address already in use)\n',
    'EXT4-fs error (device sda1): bad block bitmap\n',
    'fatal: first line\nsecond \uFFFD line\n',
    'a warning\n',
    'colour \uFFFD[31mred\uFFFD[0m\n',
    'from an earlier boot\n',
  ]);
  assert.deepEqual(await payloads({ max_priority: 2 }), ['EXT4-fs error (device sda1): bad block bitmap\n', 'from an earlier boot\n']);
});

test('journal probe once: units keeps the entries of those systemd units only', { skip }, async () => {
  assert.deepEqual(await payloads({ units: ['ssh.service'] }), ['fatal: first line\nsecond \uFFFD line\n', 'colour \uFFFD[31mred\uFFFD[0m\n']);
  assert.deepEqual(await payloads({ units: ['nginx.service', 'ssh.service'] }), [
    'bind() to 0.0.0.0:80 failed (98: Address already in use)\n',
    'fatal: first line\nsecond \uFFFD line\n',
    'colour \uFFFD[31mred\uFFFD[0m\n',
    'from an earlier boot\n',
  ]);
});

test('journal probe once: identifiers keeps the entries with those SYSLOG_IDENTIFIERs only', { skip }, async () => {
  assert.deepEqual(await payloads({ identifiers: ['kernel', 'helper'] }), ['EXT4-fs error (device sda1): bad block bitmap\n', 'colour \uFFFD[31mred\uFFFD[0m\n']);
});

test('journal probe once: units and identifiers together keep the entries that match both', { skip }, async () => {
  assert.deepEqual(await payloads({ units: ['nginx.service', 'ssh.service'], identifiers: ['sshd'] }), ['fatal: first line\nsecond \uFFFD line\n', 'from an earlier boot\n']);
});

test('journal probe once: exclude_identifiers drops those entries, also when identifiers names them', { skip }, async () => {
  assert.deepEqual(await payloads({ exclude_identifiers: ['sshd', 'kernel'] }), ['bind() to 0.0.0.0:80 failed (98: Address already in use)\n', 'colour \uFFFD[31mred\uFFFD[0m\n']);
  assert.deepEqual(await payloads({ identifiers: ['sshd', 'helper'], exclude_identifiers: ['sshd'] }), ['colour \uFFFD[31mred\uFFFD[0m\n']);
});

test("journal probe once: journalctl's matches select what the probe's own test selects", { skip }, async () => {
  // The matches only spare reading what would be dropped: with and without them, the same entries are sent.
  for (const overrides of [{}, { units: ['nginx.service', 'ssh.service'], identifiers: ['sshd', 'kernel'] }, { max_priority: 4, identifiers: ['sshd'] }]) {
    const chosen = settings(overrides);
    const narrowed = await readJournal({ source: { file }, selection: journalctlSelection(chosen) });
    const everything = await readJournal({ source: { file } });
    assert.equal(everything.length, ENTRIES.length);
    assert.deepEqual(
      narrowed.filter((entry) => selectsEntry(chosen, entry)),
      everything.filter((entry) => selectsEntry(chosen, entry)),
      JSON.stringify(overrides),
    );
    assert.ok(narrowed.length < everything.length, JSON.stringify(overrides));
  }
});

test('journal probe once: a message over 8192 bytes is cut before a whole character, with "...\\n" after it', { skip }, async (t) => {
  const long = path.join(dir, 'long.journal');
  t.after(() => rm(long, { force: true }));
  // 3000 euro signs, 3 bytes each: byte 8188, where the cut falls, is inside the 2730th.
  await writeJournalFile(long, [{ realtimeUs: T0, priority: 3, message: '€'.repeat(3000) }]);
  const [event] = await journalProbe.once(settings(), { root: dir, input: long });
  assert.equal(event?.payload, `${'€'.repeat(2729)}...\n`);
  assert.equal(Buffer.byteLength(event.payload), 8191);
});

test('journal probe once without input: the entries of the current boot so far, from the journal under the root', { skip }, async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'telem-journal-root-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeBootId(root);
  await writeJournalFile(path.join(root, 'var/log/journal/system.journal'), ENTRIES);
  // journald's volatile journal, used before /var is writable, is read too.
  await writeJournalFile(path.join(root, 'run/log/journal/system.journal'), [{ realtimeUs: T0 + 500_000, priority: 3, message: 'early in the boot' }]);
  assert.deepEqual(
    (await journalProbe.once(settings(), { root })).map((event) => event.payload),
    [
      'early in the boot\n',
      'bind() to 0.0.0.0:80 failed (98: Address already in use)\n',
      'EXT4-fs error (device sda1): bad block bitmap\n',
      'fatal: first line\nsecond \uFFFD line\n',
      'colour \uFFFD[31mred\uFFFD[0m\n',
    ],
  );
});

test('journal probe once --input DIR: the entries of every journal file in the directory', { skip }, async (t) => {
  const second = path.join(dir, 'second.journal');
  t.after(() => rm(second, { force: true }));
  await writeJournalFile(second, [{ realtimeUs: T0 + 9_000_000, priority: 2, message: 'in the second file' }]);
  const events = await journalProbe.once(settings({ max_priority: 2 }), { root: dir, input: dir });
  assert.deepEqual(
    events.map((event) => event.payload),
    ['EXT4-fs error (device sda1): bad block bitmap\n', 'from an earlier boot\n', 'in the second file\n'],
  );
});

test('journal probe once: an input that does not exist is a TelemError naming it', { skip }, async () => {
  const missing = path.join(dir, 'missing.journal');
  await assert.rejects(
    journalProbe.once(settings(), { root: dir, input: missing }),
    (error: unknown) => error instanceof TelemError && error.code === 'system' && error.message === `cannot read the journal ${missing}: ENOENT`,
  );
});

test('journal probe once: a file journalctl cannot read is a TelemError with what journalctl said', { skip }, async () => {
  const notJournal = path.join(dir, 'not-a-journal');
  await writeFile(notJournal, 'this is not a journal file\n');
  await assert.rejects(
    journalProbe.once(settings(), { root: dir, input: notJournal }),
    (error: unknown) => error instanceof TelemError && error.code === 'system' && error.message === 'journalctl exited with status 1: Failed to open files: No data available',
  );
});
