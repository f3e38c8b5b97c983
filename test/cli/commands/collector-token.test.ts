/**
 * `telem collector token create|list|revoke` as an operator runs them, on each backend (exact
 * output), and `telem collector` with logins: the first-token hint in its log, a token created
 * while it runs working at once, the refusal of collector.auth: none beyond loopback and the
 * --insecure-no-auth override.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { waitUntil } from '../../helpers/intake.js';
import { tempDir } from '../../helpers/tmp.js';
import { BACKENDS, type Backend, type StartedProcess, freshDatabase, startProcess, startTestCollector } from '../../collector/collector-helpers.js';
import { rawDatabase } from '../../collector/storage/version-1.js';

const TOKEN = /^telem_[A-Za-z0-9_-]{43}\n$/;

/** The warnings a process logged (JSON lines on stderr), once one is there: stderr may come in after the URL on stdout. */
async function warningsOf(started: StartedProcess): Promise<string[]> {
  const warnings = () =>
    started
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((line) => line.level === 40)
      .map((line) => line.msg);
  await waitUntil(() => warnings().length > 0, 5000, 'a warning in the log');
  return warnings();
}

/** A --db value for a fresh database of the backend (PostgreSQL: its test schema through the URL's search_path), and the database for the test's own reads. */
async function cliDatabase(t: TestContext, backend: Backend): Promise<{ url: string; fresh: { database: string; schema?: string } }> {
  const fresh = await freshDatabase(t, backend);
  if (fresh.schema === undefined) return { url: fresh.database, fresh };
  const db = await rawDatabase(fresh); // creates the schema
  await db.close();
  const url = new URL(fresh.database);
  url.searchParams.set('options', `-c search_path=${fresh.schema}`);
  return { url: url.toString(), fresh };
}

/** The times of a token's row as `token list` prints them. */
async function timesOf(fresh: { database: string; schema?: string }, name: string): Promise<{ created: string; used: string; revoked: string }> {
  const db = await rawDatabase(fresh);
  try {
    const [row] = await db.query('SELECT created_at, last_used_at, revoked_at FROM api_tokens WHERE name = ? ORDER BY id DESC LIMIT 1', [name]);
    const shown = (value: unknown, none: string) => (value === null || value === undefined ? none : new Date(Number(value)).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    return { created: shown(row?.created_at, '?'), used: shown(row?.last_used_at, 'never'), revoked: shown(row?.revoked_at, '-') };
  } finally {
    await db.close();
  }
}

for (const backend of BACKENDS) {
  test(
    `telem collector token on ${backend.name}: create prints the token once, list shows names, roles and times, revoke ends it; each mistake says what to do`,
    { skip: backend.skip, timeout: 90_000 },
    async (t) => {
      const { url, fresh } = await cliDatabase(t, backend);
      const token = (...args: string[]) => runCli(['collector', '--db', url, 'token', ...args]);

      const none = await token('list');
      assert.deepEqual(
        [none.code, none.stdout, none.stderr],
        [0, '', 'telem collector token list: no API tokens yet; create one with telem collector token create --name NAME --role admin\n'],
      );

      const admin = await token('create', '--name', 'ops-admin', '--role', 'admin');
      assert.equal(admin.code, 0, admin.stderr);
      assert.match(admin.stdout, TOKEN);
      assert.equal(admin.stderr, 'telem collector token create: token "ops-admin" (role admin) created; it is shown only this once, the collector keeps only its digest\n');
      const reader = await token('create', '--name', 'dashboard', '--role', 'read');
      assert.match(reader.stdout, TOKEN);

      const taken = await token('create', '--name', 'dashboard', '--role', 'admin');
      assert.deepEqual(
        [taken.code, taken.stdout, taken.stderr],
        [1, '', 'telem collector token create: a token named "dashboard" exists already; revoke it first (telem collector token revoke dashboard) or pick another name\n'],
      );
      const badName = await token('create', '--name', 'two words', '--role', 'read');
      assert.deepEqual(
        [badName.code, badName.stderr],
        [2, 'telem collector token create: "two words" cannot name a token: a token name is letters, digits, ".", "_", "@" and "-" (at most 100), starting with a letter or digit\n'],
      );
      const badRole = await token('create', '--name', 'x', '--role', 'root');
      assert.equal(badRole.code, 2);
      assert.match(badRole.stderr, /^error: option '--role <role>' argument 'root' is invalid\. Allowed choices are read, admin\.\n/);

      // The read token used once, through a collector on the same database.
      const collector = await startTestCollector(t, { database: fresh, settings: { auth: 'tokens' } });
      const read = await fetch(new URL('/api/records', collector.url), { headers: { Authorization: `Bearer ${reader.stdout.trim()}` } });
      assert.equal(read.status, 200);

      const opsTimes = await timesOf(fresh, 'ops-admin');
      const dashboardTimes = await timesOf(fresh, 'dashboard');
      const listed = await token('list');
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(
        listed.stdout,
        [
          'NAME       ROLE   CREATED               LAST USED             REVOKED',
          `ops-admin  admin  ${opsTimes.created}  never                 -`,
          `dashboard  read   ${dashboardTimes.created}  ${dashboardTimes.used}  -`,
          '',
        ].join('\n'),
      );
      assert.notEqual(dashboardTimes.used, 'never');

      const revoked = await token('revoke', 'dashboard');
      assert.deepEqual([revoked.code, revoked.stdout, revoked.stderr], [0, 'token "dashboard" (role read) revoked; its sessions are ended\n', '']);
      const after = await fetch(new URL('/api/records', collector.url), { headers: { Authorization: `Bearer ${reader.stdout.trim()}` } });
      assert.equal(after.status, 401, 'a revoked token is refused by the running collector at once');
      const again = await token('revoke', 'dashboard');
      assert.deepEqual([again.code, again.stdout, again.stderr], [3, '', 'telem collector token revoke: no active token is named "dashboard"; telem collector token list shows them\n']);

      // A revoked name can be given again.
      const renewed = await token('create', '--name', 'dashboard', '--role', 'read');
      assert.equal(renewed.code, 0, renewed.stderr);
      const revokedTimes = await timesOf(fresh, 'dashboard');
      const db = await rawDatabase(fresh);
      const [first] = await db.query("SELECT revoked_at FROM api_tokens WHERE name = 'dashboard' ORDER BY id LIMIT 1");
      await db.close();
      const revokedAt = new Date(Number(first?.revoked_at)).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const final = await token('list');
      assert.equal(
        final.stdout,
        [
          'NAME       ROLE   CREATED               LAST USED             REVOKED',
          `ops-admin  admin  ${opsTimes.created}  never                 -`,
          `dashboard  read   ${dashboardTimes.created}  ${dashboardTimes.used}  ${revokedAt}`,
          `dashboard  read   ${revokedTimes.created}  never                 -`,
          '',
        ].join('\n'),
      );
    },
  );
}

test('telem collector: with no token yet its log says how to create the first; a token created while it runs works at once', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const collector = await startProcess({ args: ['--root', root, 'collector', '--listen', '127.0.0.1:0'], ready: { stream: 'stdout', pattern: /^(http:\/\/\S+\/)\n/ } });
  t.after(() => collector.stop());
  const url = collector.match[1] as string;
  assert.deepEqual(await warningsOf(collector), [
    'no API token yet: the web UI and /api/* answer 401 until one is created with "telem collector token create --name NAME --role admin" (given this collector\'s --policy or --db)',
  ]);
  assert.equal((await fetch(new URL('/api/records', url))).status, 401);

  const created = await runCli(['--root', root, 'collector', 'token', 'create', '--name', 'first', '--role', 'admin']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await fetch(new URL('/api/records', url), { headers: { Authorization: `Bearer ${created.stdout.trim()}` } })).status, 200);
});

test('telem collector: collector.auth none on a non-loopback address exits 2 before listening, naming the address and the ways out', async (t) => {
  const dir = await tempDir(t);
  const policy = path.join(dir, 'open.policy.yaml');
  await writeFile(policy, `apiVersion: telem/v1\nkind: Policy\nmetadata: { name: open }\ncollector:\n  auth: none\n  database: sqlite:${path.join(dir, 'c.db')}\n`);
  const refused = await runCli(['collector', '--policy', policy, '--listen', '0.0.0.0:0']);
  assert.deepEqual(
    [refused.code, refused.stdout, refused.stderr],
    [
      2,
      '',
      'telem collector: refusing to serve the web UI and query API without login (collector.auth: none) on 0.0.0.0:0, which is not a loopback address; ' +
        'set collector.auth: tokens and create a token with "telem collector token create --name NAME --role admin", or start with --insecure-no-auth to serve them without login anyway\n',
    ],
  );
});

test('telem collector --insecure-no-auth: the query API answers without a token, and the log warns', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const collector = await startProcess({ args: ['--root', root, 'collector', '--listen', '127.0.0.1:0', '--insecure-no-auth'], ready: { stream: 'stdout', pattern: /^(http:\/\/\S+\/)\n/ } });
  t.after(() => collector.stop());
  assert.equal((await fetch(new URL('/api/records', collector.match[1] as string))).status, 200);
  assert.deepEqual(await warningsOf(collector), ['the web UI and query API on 127.0.0.1:0 are served without login (--insecure-no-auth)']);
});
