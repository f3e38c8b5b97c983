import assert from 'node:assert/strict';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createDestinationClient } from '../../engine/deliver/create-client.js';
import type { DestinationClient } from '../../engine/deliver/destination.js';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { tempDir } from '../helpers/tmp.js';
import { resolvedDestination, sampleRecord } from './fixtures.js';

const RECORDS_PATH = '/var/log/telemetry/records.ndjson';

function fileClient(t: TestContext, root: string, spec: Record<string, unknown> = {}): DestinationClient {
  const client = createDestinationClient(resolvedDestination({ type: 'file', path: RECORDS_PATH, ...spec }, 'archive'), { root });
  t.after(() => client.close());
  return client;
}

async function lines(root: string): Promise<string[]> {
  const text = await readFile(path.join(root, RECORDS_PATH), 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a complete line');
  return text.slice(0, -1).split('\n');
}

test('file: each record is one NDJSON line holding exactly the 15 fields and the payload, under the root', async (t) => {
  const root = await tempDir(t);
  const client = fileClient(t, root);
  assert.deepEqual(await client.deliver(sampleRecord({ cpu_model: 'Intel(R) Xeon(R) Processor @ 2.50GHz' }, 'one\n"two"')), { outcome: 'delivered' });
  assert.deepEqual(await client.deliver(sampleRecord({ classification: 'org.example/probe/second' }, '')), { outcome: 'delivered' });
  const [first, second, ...rest] = await lines(root);
  assert.equal(rest.length, 0);
  const parsed = JSON.parse(first ?? '') as Record<string, string>;
  assert.deepEqual(Object.keys(parsed), [...RECORD_HEADERS, 'payload']);
  assert.equal(parsed.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz');
  assert.equal(parsed.payload, 'one\n"two"');
  assert.match(first ?? '', /"payload":"one\\n\\"two\\""}$/);
  assert.equal((JSON.parse(second ?? '') as Record<string, string>).classification, 'org.example/probe/second');
  assert.equal((await stat(path.join(root, RECORDS_PATH))).mode & 0o777, 0o640);
});

test('file: concurrent deliveries all land, each on its own line, in the order they were handed over', async (t) => {
  const root = await tempDir(t);
  const client = fileClient(t, root, { fsync: true });
  const results = await Promise.all(Array.from({ length: 200 }, (_, index) => client.deliver(sampleRecord({ creation_timestamp: String(index) }, `payload ${index}`))));
  assert.ok(results.every((result) => result.outcome === 'delivered'));
  const written = (await lines(root)).map((line) => (JSON.parse(line) as Record<string, string>).creation_timestamp);
  assert.deepEqual(
    written,
    Array.from({ length: 200 }, (_, index) => String(index)),
  );
});

test('file: a line torn by a crash is left alone and the next record starts on a fresh line', async (t) => {
  const root = await tempDir(t);
  const file = path.join(root, RECORDS_PATH);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '{"record_format_version":"4","classification":"org.exa');
  const client = fileClient(t, root);
  assert.equal((await client.deliver(sampleRecord())).outcome, 'delivered');
  const [torn, whole] = await lines(root);
  assert.equal(torn, '{"record_format_version":"4","classification":"org.exa');
  assert.equal((JSON.parse(whole ?? '') as Record<string, string>).payload, 'hello');
});

test('file: after the file is rotated away, records go to a new file at the configured path', async (t) => {
  const root = await tempDir(t);
  const client = fileClient(t, root);
  await client.deliver(sampleRecord({}, 'before'));
  const file = path.join(root, RECORDS_PATH);
  await rename(file, `${file}.1`);
  await client.deliver(sampleRecord({}, 'after'));
  assert.deepEqual(
    (await lines(root)).map((line) => (JSON.parse(line) as Record<string, string>).payload),
    ['after'],
  );
  assert.match(await readFile(`${file}.1`, 'utf8'), /"payload":"before"}\n$/);
});

test('file: a path that cannot be written is a retry, and the record lands once the problem is fixed', async (t) => {
  const root = await tempDir(t);
  const file = path.join(root, RECORDS_PATH);
  await mkdir(file, { recursive: true });
  const client = fileClient(t, root);
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'retry', reason: 'file_eisdir' });
  await rm(file, { recursive: true });
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'delivered' });
  assert.equal((await lines(root)).length, 1);
});

test('local: every record is delivered at once and nothing is written', async (t) => {
  const root = await tempDir(t);
  const client = createDestinationClient(resolvedDestination({ type: 'local' }, 'here'), { root });
  assert.equal(client.name, 'here');
  assert.deepEqual(await client.deliver(sampleRecord()), { outcome: 'delivered' });
  await client.close();
});
