/** `telem simulate`: its table, --from differences, records from a real collector, and bad input. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { startTestCollector, postV3, v3Body } from '../collector/collector-helpers.js';
import { oneRoutePolicy, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const LIMITED = oneRoutePolicy({ name: 'limited', destination: '{ type: local }' }).replace(
  'routes: [{ name: all, to: [central] }]',
  'routes: [{ name: all, to: [central], rate_limit: { records: 3/1h, when_exceeded: drop } }]',
);
const OPEN = oneRoutePolicy({ name: 'open', destination: '{ type: local }' });

function line(index: number, classification = 'org.example/probe/test'): string {
  return JSON.stringify({ ...v3Body({ classification, creation_timestamp: String(1_795_385_357 + index) }), severity: 2, id: index });
}

test('telem simulate: prints delivered and dropped per route and destination; --from lists what the other policy does differently', async (t) => {
  const dir = await tempDir(t);
  const [limited, open] = [await writePolicy(dir, LIMITED, 'limited.yaml'), await writePolicy(dir, OPEN, 'open.yaml')];
  const records = path.join(dir, 'records.ndjson');
  await writeFile(records, `${Array.from({ length: 5 }, (_, index) => line(index)).join('\n')}\n\n`);
  const text = await runCli(['simulate', limited, '--records', records]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Simulated 5 records through .*limited\.yaml \(limited revision 0\); nothing was sent\.$/m);
  assert.match(text.stdout, /^ {2}all +central +3 +0 +0 +rate_limited 2 +18 B$/m);
  const compared = await runCli(['simulate', limited, '--records', records, '--from', open, '--format', 'json']);
  assert.equal(compared.code, 0, compared.stderr);
  const json = JSON.parse(compared.stdout) as { format_version: number; differences: { measure: string; before: number; after: number; text: string }[] };
  assert.equal(json.format_version, 1);
  assert.deepEqual(
    json.differences.map(({ measure, before, after }) => ({ measure, before, after })),
    [
      { measure: 'delivered', before: 5, after: 3 },
      { measure: 'dropped:rate_limited', before: 0, after: 2 },
    ],
  );
  assert.equal(json.differences[1]?.text, 'route all → central would drop 2 more records (rate_limited)');
  const leaving = await runCli(['simulate', open, '--records', records, '--from', limited]);
  assert.match(leaving.stdout, /^ {2}2 more records of class org\.example\/probe\/test would leave to destination central$/m);
});

test('telem simulate --collector: replays what a real collector exports', async (t) => {
  const dir = await tempDir(t);
  const collector = await startTestCollector(t);
  for (let index = 0; index < 4; index += 1) assert.equal((await postV3(collector, v3Body({ creation_timestamp: String(1_795_385_357 + index) }))).status, 201);
  const policy = await writePolicy(dir, LIMITED);
  const result = await runCli(['simulate', policy, '--collector', collector.url, '--since', '7d', '--format', 'json']);
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout) as { records: number; results: { delivered: number; dropped: Record<string, number> }[] };
  assert.equal(json.records, 4);
  assert.deepEqual(
    json.results.map(({ delivered, dropped }) => ({ delivered, dropped })),
    [{ delivered: 3, dropped: { rate_limited: 1 } }],
  );
});

test('telem simulate: bad input is one clear line and exit 2 (missing file, a line that is not a record, no source, a collector that does not answer)', async (t) => {
  const dir = await tempDir(t);
  const policy = await writePolicy(dir, OPEN);
  const missing = await runCli(['simulate', policy, '--records', path.join(dir, 'nope.ndjson')]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `telem simulate: cannot read ${path.join(dir, 'nope.ndjson')}: ENOENT\n`);
  const broken = path.join(dir, 'broken.ndjson');
  await writeFile(broken, `${line(1)}\n{"classification": "org.example/a/b"\n`);
  const bad = await runCli(['simulate', policy, '--records', broken]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^telem simulate: .*broken\.ndjson:2: not JSON \(.*\)\n$/);
  assert.equal(bad.stdout, '', 'nothing is reported from part of the input');
  const fieldless = await runCli(['simulate', policy, '--records', '-'], { input: '{"classification": "org.example/a/b"}\n' });
  assert.equal(fieldless.code, 2);
  assert.equal(fieldless.stderr, 'telem simulate: stdin:1: the record has no record_format_version\n');
  const none = await runCli(['simulate', policy]);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, 'telem simulate: give exactly one of --records FILE, --journal and --collector URL\n');
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as net.AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const unreachable = await runCli(['simulate', policy, '--collector', `http://127.0.0.1:${port}/`]);
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, new RegExp(`^telem simulate: cannot fetch records from http://127\\.0\\.0\\.1:${port}/api/records\\?format=ndjson: .+\\n$`));
});
