/**
 * The read side behind API tokens (collector.auth: tokens), on each backend: without a token the
 * query API, exports and fleet views answer 401 with WWW-Authenticate, while ingest, /healthz and
 * the control document agents poll stay open; a read token reads but cannot halt a rollout (403),
 * an admin token (an API token or one of collector.admin_tokens) can; a revoked token is 401 at
 * once; the database holds the token's digest, never its text.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { listApiTokens } from '../../../engine/collector/auth/token-admin.js';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { BACKENDS, type Backend, postV3, v3Body } from '../collector-helpers.js';
import { postRolloutStatus } from '../status-records.js';
import { rawDatabase } from '../storage/version-1.js';
import { call, startLoginCollector } from './logins.js';

const T = Math.trunc(Date.now() / 1000) - 3600;
const LOGIN_NEEDED = 'this collector needs a login: send "Authorization: Bearer <token>" with a token from "telem collector token create", or log in at /login';
const TOKEN_INVALID = 'the bearer token is not valid: it is unknown or has been revoked';
const REALM = 'Bearer realm="telem"';
const READ_PATHS = ['/api/records', '/api/records?format=csv', '/api/records?format=ndjson', '/api/records/1', '/api/stats', '/api/crashes', '/api/fields', '/api/fleet', '/api/session'];

const halt = (token?: string) =>
  ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ channel: 'stable' }), ...(token === undefined ? {} : { token }) }) as const;

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `auth on ${backend.name}: without a token the query API, exports, fleet views and UI answer 401 (the page sends browsers to /login); ingest, /healthz and the control document stay open`,
    options,
    async (t) => {
      const { collector } = await startLoginCollector(t, backend);
      assert.equal((await postV3(collector, v3Body())).status, 201, 'ingest needs no login');
      for (const pathname of READ_PATHS) {
        const answer = await call(collector, pathname);
        assert.deepEqual([answer.status, answer.json(), answer.headers.get('www-authenticate')], [401, { message: LOGIN_NEEDED }, REALM], pathname);
      }
      const page = await call(collector, '/');
      assert.deepEqual([page.status, page.headers.get('location')], [303, '/login']);
      assert.equal((await call(collector, '/healthz')).status, 200);
      assert.equal((await call(collector, '/fleet/stable/control')).status, 200);
      const loginPage = await call(collector, '/login');
      assert.equal(loginPage.status, 200);
      assert.match(loginPage.text, /<form id="login" method="post" action="\/login"/);
      assert.equal((await call(collector, '/ui/style.css')).status, 200, 'the login page can load its styles');
      const unknown = await call(collector, '/api/records', { token: 'telem_not-a-token' });
      assert.deepEqual([unknown.status, unknown.json(), unknown.headers.get('www-authenticate')], [401, { message: TOKEN_INVALID }, REALM]);
    },
  );

  test(`auth on ${backend.name}: a read token reads and exports but a rollout halt with it is 403; an admin token halts; revoked, the read token is 401`, options, async (t) => {
    const { collector, token, revoke } = await startLoginCollector(t, backend);
    const reader = await token('dashboard', 'read');
    const admin = await token('ops', 'admin');
    assert.match(reader, /^telem_[A-Za-z0-9_-]{43}$/);
    assert.equal((await postV3(collector, v3Body({}, 'stored before the read\n'))).status, 201);
    await postRolloutStatus(collector, { machine: 'c1', created: T, arm: 'candidate', state: 'baking' });

    const records = await call(collector, '/api/records', { token: reader });
    assert.equal(records.status, 200);
    assert.deepEqual(
      records
        .json<{ records: { payload: string }[] }>()
        .records.map((record) => record.payload)
        .filter((payload) => payload.startsWith('stored')),
      ['stored before the read\n'],
    );
    const csv = await call(collector, '/api/records?format=csv', { token: reader });
    assert.equal(csv.status, 200);
    assert.match(csv.text, /stored before the read/);
    assert.equal((await call(collector, '/api/fleet', { token: reader })).status, 200);
    assert.deepEqual((await call(collector, '/api/session', { token: reader })).json(), { auth: 'tokens', via: 'token', name: 'dashboard', role: 'read', csrf: null, expires_at: null });

    const refused = await call(collector, '/api/fleet/rollouts/limits-1/halt', halt(reader));
    assert.deepEqual([refused.status, refused.json()], [403, { message: 'the token "dashboard" has role read; POST /api/fleet/rollouts/limits-1/halt needs an admin token' }]);
    const anonymous = await call(collector, '/api/fleet/rollouts/limits-1/halt', halt());
    assert.deepEqual(
      [anonymous.status, anonymous.json(), anonymous.headers.get('www-authenticate')],
      [401, { message: 'POST /api/fleet/rollouts/limits-1/halt needs "Authorization: Bearer <token>" with an admin token' }, REALM],
    );
    const halted = await call(collector, '/api/fleet/rollouts/limits-1/halt', halt(admin));
    assert.equal(halted.status, 200, halted.text);
    assert.deepEqual([halted.json().halted, halted.json().by], [true, 'ops'], 'the halt is recorded by the token name');

    await revoke('dashboard');
    const revoked = await call(collector, '/api/records', { token: reader });
    assert.deepEqual([revoked.status, revoked.json(), revoked.headers.get('www-authenticate')], [401, { message: TOKEN_INVALID }, REALM]);
    assert.equal((await call(collector, '/api/records', { token: admin })).status, 200, 'the other token still works');
  });

  test(`auth on ${backend.name}: a token of collector.admin_tokens works as an admin API token, on reads too`, options, async (t) => {
    const settingsToken = 'settings-admin-token-0123456789';
    const { collector } = await startLoginCollector(t, backend, { admin_tokens: [{ name: 'alice', token: tokenDigest(settingsToken) }] });
    await postRolloutStatus(collector, { machine: 'c1', created: T, arm: 'candidate', state: 'baking' });
    assert.equal((await call(collector, '/api/records', { token: settingsToken })).status, 200);
    assert.deepEqual((await call(collector, '/api/session', { token: settingsToken })).json(), { auth: 'tokens', via: 'token', name: 'alice', role: 'admin', csrf: null, expires_at: null });
    const halted = await call(collector, '/api/fleet/rollouts/limits-1/halt', halt(settingsToken));
    assert.deepEqual([halted.status, halted.json().by], [200, 'alice']);
  });

  test(`auth on ${backend.name}: the database holds the token's SHA-256 digest and its last use, never its text`, options, async (t) => {
    const { collector, fresh, token } = await startLoginCollector(t, backend);
    const reader = await token('dashboard', 'read');
    assert.equal((await call(collector, '/api/records', { token: reader })).status, 200);

    const db = await rawDatabase(fresh);
    let rows;
    try {
      rows = await db.query('SELECT * FROM api_tokens');
    } finally {
      await db.close();
    }
    assert.equal(rows.length, 1);
    const row = rows[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(row).sort(), ['created_at', 'digest', 'id', 'last_used_at', 'name', 'revoked_at', 'role']);
    assert.equal(row.digest, tokenDigest(reader));
    assert.ok(!Object.values(row).some((value) => String(value).includes(reader.slice('telem_'.length))), 'no column holds the token');
    const [listed] = await listApiTokens({ settings: { database: fresh.database, query_timeout: 10_000 }, ...(fresh.schema === undefined ? {} : { schema: fresh.schema }) });
    assert.ok(listed?.last_used_at !== null && Math.abs(Number(listed?.last_used_at) - Date.now()) < 60_000, 'the use is recorded');
    if (backend.name === 'sqlite') {
      // Every byte SQLite wrote, the write-ahead log included: the token is in none of them.
      const file = fresh.database.slice('sqlite:'.length);
      const bytes = Buffer.concat([file, `${file}-wal`].filter((name) => existsSync(name)).map((name) => readFileSync(name)));
      assert.ok(bytes.includes(Buffer.from(tokenDigest(reader))), 'the digest is there (the scan sees the rows)');
      assert.ok(!bytes.includes(Buffer.from(reader.slice('telem_'.length))), 'the token text is not');
    }
  });
}

test(
  'auth: any method but GET, HEAD and OPTIONS under /api/ is an admin action, also on a path no endpoint serves yet; on the query endpoints it is a 405 for whoever may read',
  { timeout: 60_000 },
  async (t) => {
    const { collector, token } = await startLoginCollector(t, BACKENDS[0] as Backend);
    const reader = await token('dashboard', 'read');
    const admin = await token('ops', 'admin');
    for (const method of ['PUT', 'POST', 'DELETE', 'PATCH']) {
      const refused = await call(collector, '/api/crash-rules', { method, token: reader, body: '{}' });
      assert.deepEqual([refused.status, refused.json()], [403, { message: `the token "dashboard" has role read; ${method} /api/crash-rules needs an admin token` }], method);
      assert.equal((await call(collector, '/api/crash-rules', { method, token: admin, body: '{}' })).status, method === 'PUT' ? 400 : 405, `${method}: past the login, the endpoint answers`);
      const unserved = await call(collector, '/api/not-served-yet', { method, token: reader, body: '{}' });
      assert.equal(unserved.status, 403, `${method} on a path nothing serves: still an admin action`);
      assert.equal((await call(collector, '/api/not-served-yet', { method, token: admin, body: '{}' })).status, 404, `${method}: past the login, nothing serves it`);
    }
    const anonymous = await call(collector, '/api/records', { method: 'POST', body: '{}' });
    assert.deepEqual([anonymous.status, anonymous.json()], [401, { message: LOGIN_NEEDED }]);
    const wrongMethod = await call(collector, '/api/records', { method: 'POST', token: reader, body: '{}' });
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get('allow')], [405, 'GET, HEAD']);
  },
);
