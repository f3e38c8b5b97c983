/**
 * Logging in to the web UI in headless Chromium (collector.auth: tokens): the UI sends a browser
 * without a session to the login page, a wrong token is refused with why, a read token opens the
 * records page with the account shown, the session cookie is out of the page's reach, a POST
 * from the page without the CSRF header is refused, logout leads back to the login page, and a
 * token revoked while the page is open sends it to the login page on its next refresh. A read
 * token's save of the skip list is refused with the collector's message shown; an admin's is saved;
 * a session cookie kept from before a logout opens nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CrashRulesAnswer } from '../../../engine/collector/query/answers.js';
import { BACKENDS, type Backend, postV3, v3Body } from '../collector-helpers.js';
import { call, startLoginCollector } from '../auth/logins.js';
import { crashprobePayload } from '../crash-payloads.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

const CSRF_MISSING = 'a request changing something with the session cookie needs the X-Telem-CSRF header of its session (the web UI sends it; GET /api/session gives it)';

test('web UI login: login page → paste a token → records page → logout → back to the login page', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const { collector, token, revoke } = await startLoginCollector(t, BACKENDS[0] as Backend);
  const reader = await token('viewer', 'read');
  // An admin token exists, so a halt from the page is refused for its missing CSRF header, not for want of any admin.
  await token('ops', 'admin');
  assert.equal((await postV3(collector, v3Body({ classification: 'org.example/ui/behind-login' }, 'only for the logged in\n'))).status, 201);
  const { page, problems } = await openPage(t);

  await page.goto(collector.url);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.screenshot({ path: artifactPath('collector-ui-login.png'), fullPage: true });

  await page.fill('input[name="token"]', 'telem_not-a-token');
  await page.click('#login button[type="submit"]');
  assert.equal(await page.locator('#login-error').innerText(), 'That token is not valid: it is unknown or has been revoked.');
  assert.equal(new URL(page.url()).pathname, '/login');

  await page.fill('input[name="token"]', reader);
  await page.click('#login button[type="submit"]');
  const row = page.locator('#record-table tbody tr', { hasText: 'org.example/ui/behind-login' });
  await row.waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.locator('#account-name').innerText(), 'viewer (read)');
  assert.ok(await page.locator('#logout').isVisible());
  await page.screenshot({ path: artifactPath('collector-ui-logged-in.png'), fullPage: true });

  const [cookie] = await page.context().cookies();
  assert.deepEqual(
    { name: cookie?.name, httpOnly: cookie?.httpOnly, sameSite: cookie?.sameSite, path: cookie?.path },
    { name: 'telem_session', httpOnly: true, sameSite: 'Strict', path: '/' },
  );
  assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), '', "the page's scripts cannot read the session");
  // A state-changing request from the page with the cookie but without the header.
  const forged = await page.evaluate(async () => {
    const response = await fetch('/api/fleet/rollouts/limits-1/halt', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"channel":"stable"}' });
    return { status: response.status, body: (await response.json()) as unknown };
  });
  assert.deepEqual(forged, { status: 403, body: { message: CSRF_MISSING } });

  await page.click('#logout');
  await page.waitForURL((url) => url.pathname === '/login');
  assert.deepEqual(await page.context().cookies(), [], 'the cookie is cleared');
  await page.goto(collector.url);
  assert.equal(new URL(page.url()).pathname, '/login', 'the records page needs a login again');
  assert.deepEqual(
    problems.filter((problem) => !/status of (401|403)/.test(problem)),
    [],
    'no script errors or CSP violations',
  );

  // Logged in again, the token is revoked while the page is open: its next refresh opens the login page.
  await page.fill('input[name="token"]', reader);
  await page.click('#login button[type="submit"]');
  await row.waitFor();
  await revoke('viewer');
  await page.waitForURL((url) => url.pathname === '/login', { timeout: 10_000 });
});

test(
  'web UI login: a read token browses, its save of the skip list is refused with a message; after logout its session cookie opens nothing; an admin token saves',
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const { collector, token } = await startLoginCollector(t, BACKENDS[0] as Backend);
    const reader = await token('viewer', 'read');
    const admin = await token('ops', 'admin');
    assert.equal((await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr' }, crashprobePayload(['do_work() - [/usr/bin/app]', 'main() - [/usr/bin/app]'])))).status, 201);
    const { page, problems } = await openPage(t);
    const logIn = async (secret: string) => {
      await page.goto(`${collector.url}login`);
      await page.fill('input[name="token"]', secret);
      await page.click('#login button[type="submit"]');
      await page.waitForURL((url) => url.pathname === '/', { timeout: 10_000 });
    };
    /** Adds a rule in the Crashes tab's skip-list editor and saves; the status line once it says `expected`. */
    const addRule = async (pattern: string, expected: string) => {
      await page.click('nav button[data-tab="crashes"]');
      await page.locator('#crash-table tbody tr').first().waitFor({ timeout: 10_000 });
      await page.click('#crash-rules summary');
      await page.click('#crash-rule-add');
      await page.locator('#crash-rules-table input[name="pattern"]').last().fill(pattern);
      await page.click('#crash-rules-form button[type="submit"]');
      await page.locator('#crash-rules-status', { hasText: expected }).waitFor({ timeout: 10_000 });
      return page.locator('#crash-rules-status').innerText();
    };
    const version = async () => (await call(collector, '/api/crash-rules', { token: admin })).json<CrashRulesAnswer>().version;

    await logIn(reader);
    await page.locator('#record-table tbody tr', { hasText: 'org.clearlinux/crash/clr' }).waitFor({ timeout: 10_000 });
    assert.equal(await addRule('do_work', 'needs an admin token'), 'the token "viewer" has role read; PUT /api/crash-rules needs an admin token');
    assert.equal(await version(), 1, 'nothing saved');
    await page.screenshot({ path: artifactPath('collector-ui-read-refused.png'), fullPage: true });

    // Logged out, the old session cookie put back opens neither the page nor the API: the session ended at the collector.
    const session = await page.context().cookies();
    assert.equal(session.length, 1);
    await page.click('#logout');
    await page.waitForURL((url) => url.pathname === '/login', { timeout: 10_000 });
    await page.context().addCookies(session);
    await page.goto(collector.url);
    assert.equal(new URL(page.url()).pathname, '/login', 'the ended session does not open the records page');
    const cookie = `${session[0]?.name}=${session[0]?.value}`;
    assert.equal((await call(collector, '/api/records', { cookie })).status, 401, 'nor the API');

    await logIn(admin);
    assert.equal(await page.locator('#account-name').innerText(), 'ops (admin)');
    assert.match(await addRule('do_work', 'saved version 2'), /^saved version 2: 1 record regrouped$/);
    assert.equal(await version(), 2);
    await page.screenshot({ path: artifactPath('collector-ui-admin-saved.png'), fullPage: true });
    assert.deepEqual(
      problems.filter((problem) => !/status of (401|403)/.test(problem)),
      [],
      'no script errors or CSP violations',
    );
  },
);
