/**
 * collector.auth: none is for a collector only this machine reaches: refused, before the database
 * is opened or any port, when the address serving the read side is not loopback, unless
 * --insecure-no-auth says so (then a warning). Decided from the configured address, so the refusal
 * is tested without listening beyond 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkExposure, isLoopbackHost } from '../../../engine/collector/auth/exposure.js';
import { startCollector } from '../../../engine/collector/collector.js';
import { defaultCollectorSettings } from '../../../engine/collector/config/settings.js';
import { TelemError } from '../../../engine/errors/telem-error.js';
import { tempDir } from '../../helpers/tmp.js';

const HINT =
  'set collector.auth: tokens and create a token with "telem collector token create --name NAME --role admin", or start with --insecure-no-auth to serve them without login anyway';

function refusal(address: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TelemError, String(error));
    assert.equal(error.code, 'auth-required');
    assert.equal(error.message, `refusing to serve the web UI and query API without login (collector.auth: none) on ${address}, which is not a loopback address`);
    assert.equal(error.hint, HINT);
    return true;
  };
}

test('exposure: loopback is 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost; any other address or name is not', () => {
  for (const host of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', 'collector.example', 'localhost.example']) assert.equal(isLoopbackHost(host), false, host);
});

test('exposure: auth none on a non-loopback address is refused naming it and the two ways out; on loopback, or with auth tokens, it is allowed', () => {
  const check = (listen: string, auth: 'none' | 'tokens' = 'none', listenApi: string | null = null) => checkExposure({ auth, listen, listen_api: listenApi });
  assert.throws(() => check('0.0.0.0:8080'), refusal('0.0.0.0:8080'));
  assert.throws(() => check('[::]:8080'), refusal('[::]:8080'));
  assert.throws(() => check('collector.example:8080'), refusal('collector.example:8080'));
  assert.throws(() => check('127.0.0.1:8080', 'none', '10.0.0.5:8081'), refusal('10.0.0.5:8081'));
  for (const listen of ['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']) assert.equal(check(listen), null, listen);
  assert.equal(check('0.0.0.0:8080', 'tokens'), null);
  // With listen_api the ingest listener serves only what needs no login (ingest, /healthz, the control document).
  assert.equal(check('0.0.0.0:8080', 'none', '127.0.0.1:8081'), null);
});

test('exposure: --insecure-no-auth lets auth none serve beyond loopback, with a warning naming the address', () => {
  assert.equal(
    checkExposure({ auth: 'none', listen: '0.0.0.0:8080', listen_api: null }, { insecureNoAuth: true }),
    'the web UI and query API on 0.0.0.0:8080 are served without login to anyone who can reach it (--insecure-no-auth)',
  );
  assert.equal(
    checkExposure({ auth: 'none', listen: '127.0.0.1:8080', listen_api: null }, { insecureNoAuth: true }),
    'the web UI and query API on 127.0.0.1:8080 are served without login (--insecure-no-auth)',
  );
});

test('exposure: startCollector refuses auth none on 0.0.0.0 before it opens the database or listens', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'collector.db');
  const settings = { ...defaultCollectorSettings(), listen: '0.0.0.0:0', auth: 'none' as const, database: `sqlite:${file}` };
  await assert.rejects(startCollector({ settings }), refusal('0.0.0.0:0'));
  assert.equal(existsSync(file), false, 'the database was never opened');
});
