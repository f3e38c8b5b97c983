/**
 * Upstream staged spool files with random damage: parsing never throws, whatever parses is a
 * record that can be written back unchanged, and at start the agent imports exactly the files
 * that parse (leaving the others in place with a logged reason) instead of failing to start.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { checkHeaderValues } from '../../engine/record/header-lines.js';
import { formatStagedRecord, parseStagedRecord } from '../../engine/record/staged-file.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { archivedRecords, eventually } from './agent-probe.js';
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

test('staged file fuzz: at start the agent imports exactly the staged files that parse and leaves the others with a logged reason', { timeout: 20_000 }, async (t) => {
  const root = await tempDir(t);
  const spoolDir = path.join(root, 'var/spool/telemetry');
  await mkdir(spoolDir, { recursive: true });
  const samples = fc.sample(stagedBytes, fuzzRuns('agent staged import', 40));
  const parses = new Map<string, boolean>();
  for (const [index, bytes] of samples.entries()) {
    const name = `F${String(index).padStart(5, '0')}`;
    await writeFile(path.join(spoolDir, name), bytes);
    parses.set(name, parseStagedRecord(bytes).ok);
  }
  const policy = await writePolicy(
    root,
    oneRoutePolicy({ name: 'staged-fuzz', destination: '{ type: file, path: /var/log/telemetry/archive.ndjson, fsync: false }' }),
  );
  const agent = await startAgent(t, { root, policy });
  const left = (await readdir(spoolDir)).filter((name) => parses.has(name)).sort();
  const unreadable = [...parses].filter(([, ok]) => !ok).map(([name]) => name);
  assert.deepEqual(left, unreadable, 'files that parse are imported and removed; the others stay');
  const reasons = agent.logs.filter((line) => line.msg === 'not an upstream staged record; left alone');
  assert.deepEqual(reasons.map((line) => path.basename(String(line.file))).sort(), unreadable);
  assert.ok(reasons.every((line) => typeof line.reason === 'string' && line.reason.length > 0));
  const imported = samples.length - unreadable.length;
  // Each imported record is delivered, or journaled with the reason it was not (an unroutable classification, say).
  const journaled = async () => (await readFile(path.join(root, 'var/log/telemetry/journal'), 'utf8').catch(() => '')).split('\n').filter((line) => /\x1e(dropped|rejected)\x1e/.test(line)).length;
  await eventually(
    async () => (await archivedRecords(root)).length + (await journaled()),
    (count) => count === imported,
    { timeoutMs: 5000, what: `${imported} imported records delivered or journaled` },
  );
  t.diagnostic(`${samples.length} staged files: ${imported} imported, ${unreadable.length} left alone`);
  assert.equal(await agent.stop(), 0);
});
