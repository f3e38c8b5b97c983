/**
 * Logging in to the web UI in headless Chromium (collector.auth: tokens): the UI sends a browser
 * without a session to the login page, a wrong token is refused with why, a read token opens the
 * records page with the account shown, the session cookie is out of the page's reach, a POST
 * from the page without the CSRF header is refused, logout leads back to the login page, and a
 * token revoked while the page is open sends it to the login page on its next refresh.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKENDS, type Backend, postV3, v3Body } from '../collector-helpers.js';
import { startLoginCollector } from '../auth/logins.js';
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
