import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { RECORD_HEADERS, type RecordHeaders } from '../../engine/record/fields.js';
import type { SpoolEntry } from '../../engine/spool/entry.js';
import { GroupCommitFile } from '../../engine/spool/group-commit.js';
import type { IndexEntry } from '../../engine/spool/index-entry.js';
import { Spool, SpoolFullError, type SpoolRecovery } from '../../engine/spool/spool.js';
import { tempDir } from '../helpers/tmp.js';

function entry(n: number, payload = `payload ${n}`): SpoolEntry {
  const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, `${name} value`])) as Record<string, string>;
  headers.classification = 'org.example/spool/test';
  headers.severity = '2';
  headers.cpu_model = 'Intel(R) Xeon(R) Processor @ 2.50GHz';
  return {
    id: n.toString(16).padStart(32, '0'),
    acceptedAt: 1_795_385_359_000 + n,
    record: { headers: headers as RecordHeaders, payload: Buffer.from(payload) },
    routes: [{ route: 'default', to: ['central', 'archive'] }],
    revision: 7,
  };
}

/** The recovered index entry of a record, to settle it in the reopened spool. */
function recovered(recovery: SpoolRecovery, id: string): IndexEntry {
  const found = recovery.entries.find((item) => item.entry.id === id);
  assert.ok(found, `record ${id} was not recovered`);
  return found.entry;
}

const options = (dir: string) => ({ dir, durability: 'batch' as const, batchWindowMs: 2, maxBytes: null });

test('spool: appended records survive a reopen byte for byte', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open(options(dir));
  await Promise.all([1, 2, 3].map((n) => spool.append(entry(n, n === 2 ? 'binary \u0000\u00ff\n' : `payload ${n}`))));
  await spool.close();
  const { spool: reopened, recovery } = await Spool.open(options(dir));
  t.after(() => reopened.close());
  // Recovery keeps an index in memory; the records themselves are read back from the segment.
  const read = await reopened.read(recovery.entries.map((recovered) => recovered.entry));
  assert.deepEqual(
    recovery.entries.map(({ entry: { id, acceptedAt, routes, revision } }, index) => {
      const back = read[index];
      return { id, acceptedAt, record: back?.ok ? back.record : null, routes, revision };
    }),
    [entry(1), entry(2, 'binary \u0000\u00ff\n'), entry(3)],
  );
  assert.deepEqual(recovery.entries[0]?.pending, ['default\u0000central', 'default\u0000archive']);
  assert.equal(reopened.liveRecords, 3);
});

test('spool: settled destinations are not recovered; fully settled records and segments are removed', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open(options(dir));
  const first = await spool.append(entry(1));
  const second = await spool.append(entry(2));
  spool.settle({ entry: first, route: 'default', destination: 'central', outcome: 'delivered' });
  spool.settle({ entry: first, route: 'default', destination: 'archive', outcome: 'delivered' });
  spool.settle({ entry: second, route: 'default', destination: 'central', outcome: 'delivered' });
  assert.equal(spool.liveRecords, 1);
  await spool.close();
  const { spool: reopened, recovery } = await Spool.open(options(dir));
  assert.deepEqual(
    recovery.entries.map((recovered) => [recovered.entry.id, recovered.pending]),
    [[entry(2).id, ['default\u0000archive']]],
  );
  reopened.settle({ entry: recovered(recovery, entry(2).id), route: 'default', destination: 'archive', outcome: 'dropped' });
  await reopened.close();
  const { spool: empty, recovery: none } = await Spool.open(options(dir));
  await empty.close();
  assert.equal(none.entries.length, 0);
  // Only the fresh, empty segment of the last open remains.
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.endsWith('.ack')),
    [],
  );
});

test('spool: a torn tail left by a crash is skipped and counted, never delivered', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open(options(dir));
  await spool.append(entry(1));
  await spool.append(entry(2));
  await spool.close();
  const segment = (await readdir(dir)).find((name) => name.endsWith('.seg')) as string;
  // Half of a third frame: a length saying 500 bytes follow, and only a few of them.
  await appendFile(path.join(dir, segment), Buffer.from([0xf4, 0x01, 0, 0, 1, 2, 3, 4, 0x7b, 0x22]));
  const { spool: reopened, recovery } = await Spool.open(options(dir));
  t.after(() => reopened.close());
  assert.deepEqual(
    recovery.entries.map((recovered) => recovered.entry.id),
    [entry(1).id, entry(2).id],
  );
  assert.equal(recovery.discardedBytes, 10);
});

test('spool: a torn settlement line does not hide the settlements after it', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open(options(dir));
  const first = await spool.append(entry(1));
  spool.settle({ entry: first, route: 'default', destination: 'central', outcome: 'delivered' });
  await spool.close();
  const ack = (await readdir(dir)).find((name) => name.endsWith('.ack')) as string;
  await appendFile(path.join(dir, ack), Buffer.from('\n00000000000000000000000000000001\u0000defa'));
  const { spool: reopened, recovery } = await Spool.open(options(dir));
  reopened.settle({ entry: recovered(recovery, entry(1).id), route: 'default', destination: 'archive', outcome: 'delivered' });
  await reopened.close();
  assert.equal(recovery.entries.length, 1);
  const { spool: last, recovery: after } = await Spool.open(options(dir));
  await last.close();
  assert.equal(after.entries.length, 0);
});

test('spool: the size quota is enforced on every append, and refused records are not stored', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open({ ...options(dir), maxBytes: 1500 });
  const first = await spool.append(entry(1));
  await spool.append(entry(2));
  assert.throws(() => spool.append(entry(3)), SpoolFullError);
  assert.equal(spool.liveRecords, 2);
  spool.settle({ entry: first, route: 'default', destination: 'central', outcome: 'delivered' });
  spool.settle({ entry: first, route: 'default', destination: 'archive', outcome: 'delivered' });
  await spool.append(entry(3));
  await spool.close();
  const { spool: reopened, recovery } = await Spool.open(options(dir));
  await reopened.close();
  assert.deepEqual(
    recovery.entries.map((recovered) => recovered.entry.id),
    [entry(2).id, entry(3).id],
  );
});

test('spool: every durability mode stores records that a reopen finds', async (t) => {
  for (const durability of ['fsync', 'batch', 'none'] as const) {
    const dir = await tempDir(t);
    const { spool } = await Spool.open({ ...options(dir), durability });
    await Promise.all(Array.from({ length: 50 }, (_, n) => spool.append(entry(n + 1))));
    await spool.close();
    const { spool: reopened, recovery } = await Spool.open(options(dir));
    await reopened.close();
    assert.equal(recovery.entries.length, 50, durability);
  }
});

test('spool: a symlink planted among the segments is never read or followed', async (t) => {
  const dir = await tempDir(t);
  const elsewhere = await tempDir(t);
  await writeFile(path.join(elsewhere, 'secret'), 'not a spool segment');
  await symlink(path.join(elsewhere, 'secret'), path.join(dir, '0000000005.seg'));
  const { spool, recovery } = await Spool.open(options(dir));
  await spool.append(entry(1));
  await spool.close();
  assert.deepEqual(recovery.skipped, ['0000000005.seg']);
  assert.equal(await readFile(path.join(elsewhere, 'secret'), 'utf8'), 'not a spool segment');
});

test('spool files: opening one where a symlink stands fails instead of writing through it', async (t) => {
  const dir = await tempDir(t);
  await symlink(path.join(dir, 'target'), path.join(dir, 'link.seg'));
  assert.throws(() => GroupCommitFile.open({ path: path.join(dir, 'link.seg'), durability: 'fsync', batchWindowMs: 0 }), { code: 'ELOOP' });
  assert.deepEqual((await readdir(dir)).sort(), ['link.seg']);
});

test('spool: records are read back from the segment once the first read took the kept copy; one that rotted on disk reads as spool_corrupt', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open(options(dir));
  t.after(() => spool.close());
  const written = [entry(1, 'first'), entry(2, 'second'), entry(3, 'third')];
  const indexed = await Promise.all(written.map((item) => spool.append(item)));
  const payloads = async () => (await spool.read(indexed)).map((back) => (back.ok ? back.record.payload.toString() : back.reason));
  // The first read gets what was kept in memory at acceptance; later ones read the segment.
  assert.deepEqual(await payloads(), ['first', 'second', 'third']);
  assert.deepEqual(await payloads(), ['first', 'second', 'third']);
  const segment = path.join(dir, (await readdir(dir)).find((name) => name.endsWith('.seg')) as string);
  const contents = await readFile(segment);
  const at = contents.indexOf('second');
  contents[at] = (contents[at] as number) ^ 0x20;
  await writeFile(segment, contents);
  assert.deepEqual(await payloads(), ['first', 'spool_corrupt', 'third']);
  // Read in any order, each record comes back where it was asked for.
  assert.deepEqual(
    (await spool.read([indexed[2], indexed[0]] as typeof indexed)).map((back) => back.ok && back.record.payload.toString()),
    ['third', 'first'],
  );
});

test('spool: an entry the index refuses (a severity outside 1–4) is written nowhere, and the records after it survive a reopen', async (t) => {
  const dir = await tempDir(t);
  const { spool } = await Spool.open(options(dir));
  const bad = entry(1);
  (bad.record.headers as Record<string, string>).severity = '300';
  assert.throws(() => spool.append(bad), /not a record severity/);
  assert.equal(spool.liveRecords, 0);
  await spool.append(entry(2));
  await spool.close();
  const { spool: reopened, recovery } = await Spool.open(options(dir));
  await reopened.close();
  assert.deepEqual(
    recovery.entries.map((recovered) => recovered.entry.id),
    [entry(2).id],
  );
  assert.equal(recovery.discardedBytes, 0);
});
