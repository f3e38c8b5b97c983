/**
 * Browser sessions over HTTP, on each backend: POST /login with a token sets an HttpOnly,
 * SameSite=Strict cookie (Secure behind a proxy saying https), which reads like the token; a
 * request changing something with the cookie needs the session's X-Telem-CSRF value (403 without);
 * logout and revoking the token end the session; the database holds the session id's digest only.
 * And the sliding expiry, on the gate with a clock of its own.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { createAuthGate } from '../../../engine/collector/auth/gate.js';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { BACKENDS } from '../collector-helpers.js';
import { postRolloutStatus } from '../status-records.js';
import { rawDatabase } from '../storage/version-1.js';
import { call, login, startLoginCollector } from './logins.js';

const T = Math.trunc(Date.now() / 1000) - 3600;
const SESSION_ENDED = 'the session has ended (expired, logged out, or its token revoked); log in again at /login';
const CSRF_MISSING = 'a request changing something with the session cookie needs the X-Telem-CSRF header of its session (the web UI sends it; GET /api/session gives it)';
const HOUR = 3_600_000;

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `sessions on ${backend.name}: a login sets an HttpOnly SameSite=Strict cookie (Secure over https), which reads; a wrong token shows the login page again with why`,
    options,
    async (t) => {
      const { collector, token } = await startLoginCollector(t, backend);
      const reader = await token('viewer', 'read');

      const { answer, cookie } = await login(collector, reader);
      assert.equal(answer.status, 303);
      assert.equal(answer.headers.get('location'), '/');
      assert.match(answer.headers.get('set-cookie') ?? '', /^telem_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
      assert.equal((await call(collector, '/api/records', { cookie: cookie as string })).status, 200);
      assert.equal((await call(collector, '/', { cookie: cookie as string })).status, 200, 'the page itself');
      const session = (await call(collector, '/api/session', { cookie: cookie as string })).json<Record<string, unknown>>();
      assert.deepEqual(
        { ...session, csrf: typeof session.csrf, expires_at: typeof session.expires_at },
        { auth: 'tokens', via: 'session', name: 'viewer', role: 'read', csrf: 'string', expires_at: 'string' },
      );

      const proxied = await login(collector, reader, { 'X-Forwarded-Proto': 'https' });
      assert.match(proxied.answer.headers.get('set-cookie') ?? '', /^telem_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Secure$/);

      const wrong = await login(collector, 'telem_wrong');
      assert.deepEqual([wrong.answer.status, wrong.cookie, wrong.answer.headers.get('www-authenticate')], [401, null, 'Bearer realm="telem"']);
      assert.match(wrong.answer.text, /<p id="login-error" role="alert">That token is not valid: it is unknown or has been revoked\.<\/p>/);
      const empty = await login(collector, '');
      assert.equal(empty.answer.status, 400);
      assert.match(empty.answer.text, /<p id="login-error" role="alert">Paste a token to log in\.<\/p>/);
      // From another site's page: said by Sec-Fetch-Site, or by Origin in a browser without it.
      for (const headers of [{ 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' }, { Origin: 'https://evil.example' }]) {
        const crossSite = await login(collector, reader, headers);
        assert.deepEqual(
          [crossSite.answer.status, crossSite.cookie, crossSite.answer.json()],
          [403, null, { message: "a login must come from this collector's own page, not from https://evil.example" }],
        );
      }
      // The collector's own page behind a proxy that sends its own Host: the browser says same-origin.
      const proxiedPage = await login(collector, reader, { 'Sec-Fetch-Site': 'same-origin', Origin: 'https://telemetry.example.org' });
      assert.equal(proxiedPage.answer.status, 303);
      assert.equal((await call(collector, '/api/records', { cookie: 'telem_session=made-up' })).status, 401);
    },
  );

  test(`sessions on ${backend.name}: a POST with the session cookie but without its X-Telem-CSRF value is 403; with it, it goes through`, options, async (t) => {
    const { collector, token } = await startLoginCollector(t, backend);
    await postRolloutStatus(collector, { machine: 'c1', created: T, arm: 'candidate', state: 'baking' });
    const { cookie } = await login(collector, await token('operator', 'admin'));
    const csrf = String((await call(collector, '/api/session', { cookie: cookie as string })).json().csrf);
    const halt = (headers: Record<string, string>) =>
      call(collector, '/api/fleet/rollouts/limits-1/halt', {
        method: 'POST',
        cookie: cookie as string,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: '{"channel":"stable"}',
      });

    const missing = await halt({});
    assert.deepEqual([missing.status, missing.json()], [403, { message: CSRF_MISSING }]);
    const wrong = await halt({ 'X-Telem-CSRF': `${csrf.slice(0, -1)}x` });
    assert.deepEqual([wrong.status, wrong.json()], [403, { message: CSRF_MISSING }]);
    assert.equal((await call(collector, '/fleet/stable/control')).json<{ rollouts: Record<string, { halted: boolean }> }>().rollouts['limits-1']?.halted, false, 'nothing was halted');

    const done = await halt({ 'X-Telem-CSRF': csrf });
    assert.deepEqual([done.status, done.json().halted, done.json().by], [200, true, 'operator']);
  });

  test(`sessions on ${backend.name}: logout (with the CSRF value) and revoking the token end the session; the database has the session id's digest only`, options, async (t) => {
    const { collector, fresh, token, revoke } = await startLoginCollector(t, backend);
    const reader = await token('viewer', 'read');
    const first = (await login(collector, reader)).cookie as string;
    const second = (await login(collector, reader)).cookie as string;

    const db = await rawDatabase(fresh);
    try {
      const rows = await db.query('SELECT * FROM api_sessions ORDER BY id');
      assert.deepEqual(
        rows.map((row) => row.digest),
        [tokenDigest(first.slice('telem_session='.length)), tokenDigest(second.slice('telem_session='.length))],
      );
      assert.ok(!JSON.stringify(rows).includes(first.slice('telem_session='.length)), 'no session id in the database');
    } finally {
      await db.close();
    }

    const refused = await call(collector, '/logout', { method: 'POST', cookie: first });
    assert.deepEqual([refused.status, refused.json()], [403, { message: CSRF_MISSING }]);
    const csrf = String((await call(collector, '/api/session', { cookie: first })).json().csrf);
    const out = await call(collector, '/logout', { method: 'POST', cookie: first, headers: { 'X-Telem-CSRF': csrf } });
    assert.deepEqual([out.status, out.json(), out.headers.get('set-cookie')], [200, { message: 'logged out' }, 'telem_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0']);
    const ended = await call(collector, '/api/records', { cookie: first });
    assert.deepEqual([ended.status, ended.json()], [401, { message: SESSION_ENDED }]);
    assert.deepEqual([(await call(collector, '/', { cookie: first })).headers.get('location')], ['/login']);

    assert.equal((await call(collector, '/api/records', { cookie: second })).status, 200, 'the other session goes on');
    await revoke('viewer');
    assert.deepEqual((await call(collector, '/api/records', { cookie: second })).json(), { message: SESSION_ENDED });
  });

  test(`sessions on ${backend.name}: a session lasts 12 hours after its last use, sliding`, options, async (t) => {
    const { collector, token } = await startLoginCollector(t, backend);
    await token('viewer', 'read');
    const text = await token('night-shift', 'read');
    let clock = Date.now();
    const gate = createAuthGate({ store: collector.store.auth, settings: { auth: 'tokens', admin_tokens: [] }, now: () => clock });
    const opened = await gate.openSession(text);
    assert.ok(opened);
    const request = { method: 'GET', headers: { cookie: `telem_session=${opened.id}` } } as IncomingMessage;
    const reads = async () => (await gate.authorize(request, 'read', 'GET /api/records')).expiresAt;

    const start = clock;
    clock = start + 11 * HOUR;
    assert.equal(await reads(), start + 23 * HOUR, 'used after 11 hours: another 12 from then');
    clock = start + 23 * HOUR - 1;
    assert.equal(await reads(), start + 35 * HOUR - 1);
    clock = start + 47 * HOUR;
    await assert.rejects(reads(), (error: Error & { status?: number }) => error.status === 401 && error.message === SESSION_ENDED);
  });
}
