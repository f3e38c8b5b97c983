import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { openJournalWriter } from '../../engine/journal/journal-writer.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { BOOT_ID, nthEntry, retention } from '../journal/fixtures.js';

const UTC = { TZ: 'UTC' };
const id = (n: number) => n.toString(16).padStart(32, '0');
const EVENT = '78dbbb96a9636a7e2467cadcbce35863';

const POLICY = `apiVersion: telem/v1
kind: Policy
metadata: { name: journal-test, revision: 3 }
destinations: { central: { type: local }, archive: { type: local } }
routes: [{ name: default, to: [central, archive] }]
retention: { journal_entries: 100, keep_payloads: 10, journal: /var/log/telem/journal, payload_dir: /var/log/telem/records }
`;

/** A root with an agent policy and a journal written by the real writer, plus one upstream line and one damaged line. */
async function journaledRoot(t: TestContext): Promise<string> {
  const root = await tempDir(t);
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics/telem.policy.yaml'), POLICY);
  const journal = await openJournalWriter({
    root,
    retention: retention({ keep_payloads: 10, journal: '/var/log/telem/journal', payload_dir: '/var/log/telem/records' }),
  });
  journal.append(nthEntry(1, { classification: 'org.example/probe/test' }), Buffer.from('first payload\n'));
  journal.append(nthEntry(2, { classification: 'org.example/probe/other', outcome: 'dropped', reason: 'rate_limited', destination: null }));
  journal.append(nthEntry(3, { classification: 'org.clearlinux/crash/kernel', eventId: 'e'.repeat(32), outcome: 'rejected', reason: 'http_400' }));
  journal.append(nthEntry(4, { classification: 'org.example/probe/test', bootId: 'other-boot', destination: 'archive' }), Buffer.from('fourth'));
  await journal.close();
  await appendFile(journal.file, `${id(5)}\x1e1795385553\x1eorg.example/upstream/line\x1e${EVENT}\x1e${BOOT_ID}\nnot a journal line\n`);
  return root;
}

const LINE = {
  1: `org.example/probe/test         Sun 2026-11-22 22:12:29 UTC ${id(1)} ${EVENT} ${BOOT_ID} delivered@central\n`,
  2: `org.example/probe/other        Sun 2026-11-22 22:12:30 UTC ${id(2)} ${EVENT} ${BOOT_ID} dropped:rate_limited\n`,
  3: `org.clearlinux/crash/kernel    Sun 2026-11-22 22:12:31 UTC ${id(3)} ${'e'.repeat(32)} ${BOOT_ID} rejected:http_400@central\n`,
  4: `org.example/probe/test         Sun 2026-11-22 22:12:32 UTC ${id(4)} ${EVENT} other-boot delivered@archive\n`,
  5: `org.example/upstream/line      Sun 2026-11-22 22:12:33 UTC ${id(5)} ${EVENT} ${BOOT_ID}\n`,
};

const DAMAGED_WARNING = (root: string) => `telem journal: warning: ${root}/var/log/telem/journal:6: skipped a damaged line (1 fields, expected at least 5)\n`;

test('telem journal: lists every outcome as upstream did plus an outcome column; damaged lines are skipped with a warning; exit 0', async (t) => {
  const root = await journaledRoot(t);
  const result = await runCli(['--root', root, 'journal'], { env: UTC });
  assert.equal(result.code, 0);
  assert.equal(result.stdout, [LINE[1], LINE[2], LINE[3], LINE[4], LINE[5]].join(''));
  assert.equal(result.stderr, DAMAGED_WARNING(root));
});

test('telem journal -V: a header line and the number of records listed', async (t) => {
  const root = await journaledRoot(t);
  const result = await runCli(['journal', '--root', root, '-V', '-c', 'org.example/probe/test'], { env: UTC });
  assert.equal(result.code, 0);
  assert.equal(
    result.stdout,
    'Classification                 Time stamp                  Record ID                        Event ID                         Boot ID                              Outcome\n' +
      `${LINE[1]}${LINE[4]}Total records: 2\n`,
  );
});

test('telem journal: -c with a "/*" prefix, -r, -e, -b and --outcome filter the listing', async (t) => {
  const root = await journaledRoot(t);
  const cases: [string[], string][] = [
    [['-c', 'org.example/*'], LINE[1] + LINE[2] + LINE[4] + LINE[5]],
    [['--classification', 'org.example/probe/*'], LINE[1] + LINE[2] + LINE[4]],
    [['-c', 'org.example'], ''],
    [['-r', id(3)], LINE[3]],
    [['--record_id', id(3)], LINE[3]],
    [['-e', 'e'.repeat(32)], LINE[3]],
    [['-b', 'other-boot'], LINE[4]],
    [['--boot_id', BOOT_ID, '-c', 'org.example/probe/*'], LINE[1] + LINE[2]],
    [['--outcome', 'dropped'], LINE[2]],
    [['--outcome', 'delivered', '-e', EVENT], LINE[1] + LINE[4]],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(['--root', root, 'journal', ...args], { env: UTC })));
  cases.forEach(([args, expected], index) => {
    assert.equal(results[index]?.code, 0, args.join(' '));
    assert.equal(results[index]?.stdout, expected, args.join(' '));
  });
});

test('telem journal -i: each listed record is followed by its retained payload; delivered ones without are counted on stderr', async (t) => {
  const root = await journaledRoot(t);
  const retained = await runCli(['--root', root, 'journal', '-i', '-c', 'org.example/probe/*'], { env: UTC });
  assert.equal(retained.code, 0);
  assert.equal(retained.stdout, `${LINE[1]}first payload\n${LINE[2]}${LINE[4]}fourth\n`);
  assert.equal(retained.stderr, DAMAGED_WARNING(root), 'a dropped record is not expected to have a payload');
  const upstream = await runCli(['--root', root, 'journal', '-i', '-c', 'org.example/*'], { env: UTC });
  assert.equal(upstream.stdout, `${LINE[1]}first payload\n${LINE[2]}${LINE[4]}fourth\n${LINE[5]}`);
  assert.equal(upstream.stderr, `${DAMAGED_WARNING(root)}telem journal: 1 of 3 delivered records have no retained payload\n`);
});

test('telem journal --format json: every field of every entry, payloads with -i, skipped lines listed', async (t) => {
  const root = await journaledRoot(t);
  const result = await runCli(['--root', root, 'journal', '--format', 'json', '-i', '-b', 'other-boot'], { env: UTC });
  assert.equal(result.code, 0);
  assert.deepEqual(JSON.parse(result.stdout), {
    journal: path.join(root, 'var/log/telem/journal'),
    entries: [
      {
        recordId: id(4),
        time: 1_795_385_552_000,
        classification: 'org.example/probe/test',
        eventId: EVENT,
        bootId: 'other-boot',
        outcome: 'delivered',
        reason: null,
        route: 'default',
        destination: 'archive',
        policyRevision: 12,
        payload: 'fourth',
      },
    ],
    skipped: [{ line: 6, message: '1 fields, expected at least 5' }],
  });
});

test('telem journal: without a policy on the root, the default policy locates the journal', async (t) => {
  const root = await tempDir(t);
  const journal = await openJournalWriter({ root, retention: retention() });
  journal.append(nthEntry(1, { classification: 'org.example/probe/test' }));
  await journal.close();
  const result = await runCli(['--root', root, 'journal'], { env: UTC });
  assert.equal(result.code, 0);
  assert.equal(result.stdout, LINE[1]);
  assert.equal(result.stderr, '');
});

test('telem journal --policy FILE: the named policy is used as given; an empty journal is not an error', async (t) => {
  const root = await journaledRoot(t);
  const elsewhere = await tempDir(t);
  await writeFile(path.join(elsewhere, 'p.yaml'), POLICY.replace('/var/log/telem/journal', '/var/log/other/journal'));
  const result = await runCli(['--root', root, 'journal', '-V', '--policy', 'p.yaml'], { cwd: elsewhere, env: UTC });
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Classification .*\nTotal records: 0\n$/);
  assert.equal(result.stderr, `telem journal: nothing journaled yet (no ${root}/var/log/other/journal)\n`);
});

test('telem journal: a policy with errors is reported and nothing is listed (exit 1); a missing one is a usage error (exit 2)', async (t) => {
  const root = await journaledRoot(t);
  await writeFile(path.join(root, 'etc/telemetrics/telem.policy.yaml'), POLICY.replace('journal_entries: 100', 'journal_entries: lots'));
  const invalid = await runCli(['--root', root, 'journal'], { env: UTC });
  assert.equal(invalid.code, 1);
  assert.equal(invalid.stdout, '');
  assert.match(invalid.stderr, /^telem journal: the policy has errors; cannot tell where the journal is\n.*retention\.journal_entries/s);
  const missing = await runCli(['--root', root, 'journal', '--policy', path.join(root, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^telem journal: .*nope\.yaml: cannot read policy file: no such file\n$/);
});

test('telem journal: an unreadable journal is a clear error, not a crash (exit 2)', async (t) => {
  const root = await journaledRoot(t);
  await writeFile(path.join(root, 'etc/telemetrics/telem.policy.yaml'), POLICY.replace('/var/log/telem/journal', '/var/log/telem'));
  const result = await runCli(['--root', root, 'journal']);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `telem journal: cannot read the journal ${root}/var/log/telem: EISDIR\n`);
});

test('telem journal: finds its policy as telem run does, telemetrics.conf included: a conf the agent would refuse is reported, not passed over for the defaults', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics/telemetrics.conf'), '[settings]\nspool_max_size=0\n');
  const result = await runCli(['--root', root, 'journal'], { env: UTC });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^telem journal: the policy has errors; cannot tell where the journal is\n.*telemetrics\.conf:2:.*\(legacy-spool-size-zero\)/s);
});
