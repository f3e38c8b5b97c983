/** `telem collector` as a user runs it: prints its URL, stores under --root, stops cleanly on SIGTERM. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { BACKENDS, type Backend, type StartedProcess, UPSTREAM_TID, freshDatabase, rawHttp, rawRequest, startProcess, v2Headers, v3Body } from '../../collector/collector-helpers.js';
import { createVersion1Database, rawDatabase, vectorRecord } from '../../collector/storage/version-1.js';

/** A read token made with the real `telem collector token create` on the database these arguments (--root, --db) name. */
async function readToken(collectorArgs: readonly string[]): Promise<string> {
  const created = await runCli([...collectorArgs, 'token', 'create', '--name', 'test-reader', '--role', 'read']);
  assert.equal(created.code, 0, created.stderr);
  return created.stdout.trim();
}

/** GET /api/records with a token, as any client of an `auth: tokens` collector (the default). */
async function listRecords<T>(url: string, token: string): Promise<{ records: T[] }> {
  const response = await fetch(new URL('/api/records', url), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as { records: T[] };
}

/** Starts the real binary and waits for the URL it prints on stdout. */
async function startCli(args: string[]): Promise<{ url: string; stop: StartedProcess['stop'] }> {
  const started = await startProcess({ args, ready: { stream: 'stdout', pattern: /^(http:\/\/\S+\/)\n/ } });
  return { url: started.match[1] as string, stop: started.stop };
}

test('telem collector: prints its URL, accepts records into sqlite under --root, exits 0 on SIGTERM', async (t) => {
  const root = await tempDir(t);
  const collector = await startCli(['--root', root, 'collector', '--listen', '127.0.0.1:0']);
  try {
    assert.match(collector.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(v3Body()) }));
    assert.equal(response.status, 201);
    assert.equal((await fetch(new URL('/api/records', collector.url))).status, 401, 'the query API needs a login by default');
    const listed = await listRecords(collector.url, await readToken(['--root', root, 'collector']));
    assert.equal(listed.records.length, 1);
  } finally {
    const stopped = await collector.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /"msg":"collector listening"/, 'logs go to stderr as JSON');
  }
  assert.ok(existsSync(path.join(root, 'var', 'lib', 'telem', 'collector.db')), 'the default database lives under --root');
});

test("telem collector --policy: tenants and tokens come from the policy's collector section", async (t) => {
  const dir = await tempDir(t);
  const policy = path.join(dir, 'collector.policy.yaml');
  await writeFile(
    policy,
    [
      'apiVersion: telem/v1',
      'kind: Policy',
      'metadata: { name: lab-collector }',
      'collector:',
      `  database: sqlite:${path.join(dir, 'records.db')}`,
      '  max_body: 4KiB',
      '  tenants:',
      `    - { tid: lab, tokens: ["${tokenDigest('lab-token')}"] }`,
      '',
    ].join('\n'),
  );
  const collector = await startCli(['collector', '--policy', policy, '--listen', '127.0.0.1:0']);
  try {
    const send = (headers: Record<string, string>, body = JSON.stringify(v3Body())) => rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers, body }));
    assert.equal((await send({ 'X-Telemetry-TID': UPSTREAM_TID })).status, 400, 'the upstream TID is not configured here');
    assert.equal((await send({ 'X-Telemetry-TID': 'lab' })).status, 401);
    assert.equal((await send({ 'X-Telemetry-TID': 'lab', Authorization: 'Bearer lab-token' })).status, 201);
    assert.equal((await send({ 'X-Telemetry-TID': 'lab', Authorization: 'Bearer lab-token' }, 'x'.repeat(5000))).status, 413);
  } finally {
    assert.equal((await collector.stop()).code, 0);
  }
  assert.ok(existsSync(path.join(dir, 'records.db')));
});

test('telem collector: a bad --db, --listen or policy is refused with a message and a non-zero exit', async (t) => {
  const dir = await tempDir(t);
  const db = await runCli(['collector', '--db', 'mysql://x']);
  assert.deepEqual([db.code, db.stdout], [2, '']);
  assert.equal(db.stderr, 'telem collector: unknown database "mysql://x": expected "sqlite:PATH" or a "postgres://" URL\n');

  const unreachable = await runCli(['collector', '--listen', '127.0.0.1:0', '--db', 'postgres://telem:secret@127.0.0.1:1/telem']);
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, /^telem collector: cannot open postgres:\/\/telem:\*\*\*@127\.0\.0\.1:1\/telem: connect ECONNREFUSED/, 'the password is not printed');

  await writeFile(path.join(dir, 'not-a-dir'), '');
  const unwritable = await runCli(['collector', '--listen', '127.0.0.1:0', '--db', `sqlite:${path.join(dir, 'not-a-dir', 'a.db')}`]);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /^telem collector: cannot open sqlite:.*not-a-dir\/a\.db: /);

  const listen = await runCli(['collector', '--listen', 'localhost', '--db', `sqlite:${path.join(dir, 'a.db')}`]);
  assert.equal(listen.code, 2);
  assert.equal(listen.stderr, 'telem collector: cannot listen on "localhost": expected HOST:PORT such as 127.0.0.1:8080\n');

  const policy = path.join(dir, 'bad.policy.yaml');
  await writeFile(policy, 'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: bad }\ncollector:\n  retention:\n    max_age: soon\n');
  const invalid = await runCli(['collector', '--policy', policy]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /collector\.retention\.max_age/);
  assert.match(invalid.stderr, /expected a duration such as "35d" or "forever"/);

  const missing = await runCli(['collector', '--policy', path.join(dir, 'missing.yaml')]);
  assert.equal(missing.code, 2);
});

test('telem collector: an address in use is reported plainly', async (t) => {
  const root = await tempDir(t);
  const first = await startCli(['--root', root, 'collector', '--listen', '127.0.0.1:0']);
  try {
    const port = new URL(first.url).port;
    const second = await runCli(['--root', root, 'collector', '--listen', `127.0.0.1:${port}`, '--db', `sqlite:${path.join(root, 'other.db')}`]);
    assert.equal(second.code, 2);
    assert.equal(second.stderr.trim().split('\n').at(-1), `telem collector: cannot listen on 127.0.0.1:${port}: the address is in use`);
  } finally {
    await first.stop();
  }
});

test('telem collector: a second collector on the same SQLite file exits 2 naming the running one', async (t) => {
  const root = await tempDir(t);
  const first = await startCli(['--root', root, 'collector', '--listen', '127.0.0.1:0']);
  try {
    const second = await runCli(['--root', root, 'collector', '--listen', '127.0.0.1:0']);
    assert.equal(second.code, 2);
    const db = path.join(root, 'var', 'lib', 'telem', 'collector.db');
    assert.match(
      second.stderr,
      new RegExp(`^telem collector: the database sqlite:${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is in use by another telem process \\(held by pid \\d+\\)\\n$`),
    );
  } finally {
    assert.equal((await first.stop()).code, 0);
  }
});

/** A --db value for an empty database of the backend (PostgreSQL: a test schema, through the URL's search_path). */
async function cliDatabase(t: TestContext, backend: Backend, prepare?: (fresh: { database: string; schema?: string }) => Promise<void>): Promise<string> {
  const fresh = await freshDatabase(t, backend);
  if (prepare) await prepare(fresh);
  if (fresh.schema === undefined) return fresh.database;
  const db = await rawDatabase(fresh); // creates the schema
  await db.close();
  const url = new URL(fresh.database);
  url.searchParams.set('options', `-c search_path=${fresh.schema}`);
  return url.toString();
}

const OTHER_CLASSIFICATION = 'org.clearlinux/hello/again';

for (const backend of BACKENDS) {
  test(
    `telem collector on ${backend.name}: two records of one event differing only in classification are both stored, each resend answered 201 with its own row`,
    { skip: backend.skip },
    async (t) => {
      const database = await cliDatabase(t, backend);
      const collector = await startCli(['collector', '--listen', '127.0.0.1:0', '--db', database]);
      try {
        const v3 = (body: Record<string, string>) => rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(body) }));
        const v2 = (headers: Record<string, string>) => rawRequest(collector.url, rawHttp({ path: '/v2/collector', headers, body: 'hello\n' }));
        const responses = [
          await v3(v3Body()),
          await v3(v3Body({ classification: OTHER_CLASSIFICATION })),
          await v2(v2Headers({ severity: '3' })),
          await v3(v3Body()),
          await v3(v3Body({ classification: OTHER_CLASSIFICATION })),
          await v2(v2Headers({ severity: '3' })),
        ];
        assert.deepEqual(
          responses.map((response) => response.status),
          [201, 201, 201, 201, 201, 201],
        );
        const answers = responses.map((response) => response.json());
        assert.deepEqual(
          answers.map((answer) => [answer.classification, answer.severity]),
          Array.from({ length: 2 }, () => [
            ['org.clearlinux/hello/world', 1],
            [OTHER_CLASSIFICATION, 1],
            ['org.clearlinux/hello/world', 3],
          ]).flat(),
        );
        assert.deepEqual(
          responses.map((response) => response.headers['x-telem-duplicate'] ?? 'new'),
          ['new', 'new', 'new', 'true', 'true', 'true'],
        );
        const ids = answers.map((answer) => answer.id);
        assert.equal(new Set(ids.slice(0, 3)).size, 3);
        assert.deepEqual(ids.slice(3), ids.slice(0, 3));
        const listed = await listRecords<{ id: number }>(collector.url, await readToken(['collector', '--db', database]));
        assert.deepEqual(listed.records.map((record) => record.id).sort(), [...ids.slice(0, 3)].sort());
      } finally {
        const stopped = await collector.stop();
        assert.equal(stopped.code, 0, stopped.stderr);
      }
    },
  );

  test(
    `telem collector on ${backend.name}: a version-1 database is migrated at start, a resend of an old row is a duplicate and its classification variant is stored`,
    { skip: backend.skip },
    async (t) => {
      const receivedAt = Date.now() - 60_000;
      const database = await cliDatabase(t, backend, (fresh) => createVersion1Database(fresh, [vectorRecord(receivedAt, {}, 'v3')]));
      const collector = await startCli(['collector', '--listen', '127.0.0.1:0', '--db', database]);
      try {
        const send = (body: Record<string, string>) =>
          rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(body) }));
        const resend = await send(v3Body());
        assert.deepEqual([resend.status, resend.headers['x-telem-duplicate'], resend.json().id, resend.json().received_at], [201, 'true', 1, new Date(receivedAt).toISOString()]);
        const variant = await send(v3Body({ classification: OTHER_CLASSIFICATION }));
        assert.deepEqual([variant.status, variant.headers['x-telem-duplicate'], variant.json().classification], [201, undefined, OTHER_CLASSIFICATION]);
        assert.notEqual(variant.json().id, 1);
        const listed = await listRecords(collector.url, await readToken(['collector', '--db', database]));
        assert.equal(listed.records.length, 2);
      } finally {
        const stopped = await collector.stop();
        assert.equal(stopped.code, 0, stopped.stderr);
      }
    },
  );
}
