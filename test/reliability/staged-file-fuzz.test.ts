/**
 * Upstream staged spool files with random damage: parsing never throws, whatever parses is a
 * record that can be written back unchanged, and at start the agent imports exactly the files
 * that parse (leaving the others in place with a logged reason) instead of failing to start.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { recordJson } from '../../engine/deliver/record-json.js';
import { RECORD_HEADERS, type TelemetryRecord } from '../../engine/record/fields.js';
import { checkHeaderValues } from '../../engine/record/header-lines.js';
import { formatStagedRecord, parseStagedRecord } from '../../engine/record/staged-file.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { archivedRecords, eventually, journalEntries } from './agent-probe.js';
import { fuzzRuns } from './fuzz-settings.js';

const good = formatStagedRecord({ record: testRecord({ payload: 'staged payload\nwith two lines' }), configPath: '/etc/telemetrics/alt.conf' });

/** Random bytes, or a good staged file with bytes changed, lines dropped or doubled, a cut, or CRLF endings. */
const stagedBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  fc.record({ flips: fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), cut: fc.option(fc.nat(good.length)) }).map(({ flips, cut }) => {
    const bytes = Buffer.from(good);
    for (const [offset, value] of flips) bytes[offset] = value;
    return cut === null ? bytes : bytes.subarray(0, cut);
  }),
  fc.tuple(fc.nat(), fc.constantFrom('drop', 'double', 'crlf', 'blank')).map(([at, change]) => {
    const lines = good.toString('utf8').split('\n');
    const index = at % lines.length;
    if (change === 'drop') lines.splice(index, 1);
    else if (change === 'double') lines.splice(index, 0, lines[index] as string);
    else if (change === 'blank') lines.splice(index, 0, '');
    else return Buffer.from(lines.join('\r\n'));
    return Buffer.from(lines.join('\n'));
  }),
);

test('staged file fuzz: parsing never throws; what parses has the fifteen headers and writes back to the same record', () => {
  fc.assert(
    fc.property(stagedBytes, (bytes) => {
      const parsed = parseStagedRecord(bytes);
      if (!parsed.ok) {
        assert.ok(parsed.detail.trim().length > 0, 'a refusal says why');
        return;
      }
      assert.deepEqual(Object.keys(parsed.record.headers), [...RECORD_HEADERS]);
      if (parsed.configPath !== null) assert.ok(!parsed.configPath.includes('\n'));
      // Values with a CR or NUL cannot be written back as header lines; all others round-trip.
      if (checkHeaderValues(parsed.record.headers) !== null || parsed.configPath?.includes('\0')) return;
      const again = parseStagedRecord(formatStagedRecord({ record: parsed.record, configPath: parsed.configPath }));
      assert.ok(again.ok);
      assert.deepEqual(again.record, parsed.record);
      assert.equal(again.configPath, parsed.configPath);
    }),
    fuzzRuns('parseStagedRecord', 2000),
  );
});

test(
  'staged file fuzz: at start the agent imports exactly the staged files that parse, delivers or journals each of their records, and leaves the others with a logged reason',
  { timeout: 20_000 },
  async (t) => {
    const root = await tempDir(t);
    const spoolDir = path.join(root, 'var/spool/telemetry');
    await mkdir(spoolDir, { recursive: true });
    const samples = fc.sample(stagedBytes, fuzzRuns('agent staged import', 40));
    const parses = new Map<string, boolean>();
    const expected: TelemetryRecord[] = [];
    for (const [index, bytes] of samples.entries()) {
      const name = `F${String(index).padStart(5, '0')}`;
      await writeFile(path.join(spoolDir, name), bytes);
      const parsed = parseStagedRecord(bytes);
      parses.set(name, parsed.ok);
      if (parsed.ok) expected.push(parsed.record);
    }
    // Beside the fuzzed files, a few good ones whose delivery the test knows to expect.
    const known = ['known staged 1', 'known staged 2\nover two lines', 'known staged 3'].map((payload) => testRecord({ payload }));
    for (const [index, record] of known.entries()) {
      const name = `G${String(index).padStart(5, '0')}`;
      await writeFile(path.join(spoolDir, name), formatStagedRecord({ record, configPath: null }));
      parses.set(name, true);
      expected.push(record);
    }
    const unreadable = [...parses].filter(([, ok]) => !ok).map(([name]) => name);
    // The samples must exercise both sides: files that import and files that are left alone.
    assert.ok(expected.length >= known.length + 3, `only ${expected.length - known.length} of ${samples.length} samples parse`);
    assert.ok(unreadable.length >= 5, `only ${unreadable.length} of ${samples.length} samples fail to parse`);
    const policy = await writePolicy(root, oneRoutePolicy({ name: 'staged-fuzz', destination: '{ type: file, path: /var/log/telemetry/archive.ndjson, fsync: false }' }));
    const agent = await startAgent(t, { root, policy });
    const left = (await readdir(spoolDir)).filter((name) => parses.has(name)).sort();
    assert.deepEqual(left, unreadable, 'files that parse are imported and removed; the others stay');
    const reasons = agent.logs.filter((line) => line.msg === 'not an upstream staged record; left alone');
    assert.deepEqual(reasons.map((line) => path.basename(String(line.file))).sort(), unreadable);
    assert.ok(reasons.every((line) => typeof line.reason === 'string' && line.reason.length > 0));
    // Each imported record is delivered, or journaled with the reason it was not (an unroutable classification, say).
    const journaled = async () => (await journalEntries(root).catch(() => [])).filter((entry) => entry.outcome === 'dropped' || entry.outcome === 'rejected');
    await eventually(
      async () => (await archivedRecords(root)).length + (await journaled()).length,
      (count) => count === expected.length,
      { timeoutMs: 5000, what: `${expected.length} imported records delivered or journaled` },
    );
    // And they are the staged records: each archived line is one of them as written, each journal line names one of them.
    const archived = await archivedRecords(root);
    const dropped = [...(await journaled())];
    for (const record of expected) {
      const json = JSON.parse(recordJson(record)) as Record<string, string>;
      const at = archived.findIndex((line) => isDeepStrictEqual(line, json));
      if (at >= 0) {
        archived.splice(at, 1);
        continue;
      }
      const journal = dropped.findIndex((entry) => entry.eventId === record.headers.event_id && entry.classification === record.headers.classification);
      assert.ok(journal >= 0, `staged record ${recordJson(record)} neither archived nor journaled`);
      dropped.splice(journal, 1);
    }
    assert.deepEqual(archived, [], 'no archived record that was not staged');
    const archivedPayloads = (await archivedRecords(root)).map((line) => line.payload);
    for (const record of known) assert.ok(archivedPayloads.includes(record.payload.toString('utf8')), `${record.payload.toString('utf8')} archived`);
    assert.deepEqual(dropped, [], 'no journaled drop of a record that was not staged');
    t.diagnostic(`${samples.length} staged files: ${expected.length} imported (${known.length} of them known good), ${unreadable.length} left alone`);
    assert.equal(await agent.stop(), 0);
  },
);
