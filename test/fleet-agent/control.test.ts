/**
 * The control document as the agent reads it (engine/fleet-agent/control.ts): halts from a real
 * HTTP server; anything that is not a control document for its channel is a bundle-fetch error
 * (the client then keeps the last answer it had), never a halt made up or lifted.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { TelemError } from '../../engine/errors/telem-error.js';
import { MAX_CONTROL_BYTES, fetchHalts } from '../../engine/fleet-agent/control.js';
import { closedPort } from '../helpers/closed-port.js';

test(
  'control document: halted rollouts are read with reason and time; not JSON, another channel, not a control document, too large, an HTTP error or no server are bundle-fetch errors',
  { timeout: 30_000 },
  async (t) => {
    const answers: Record<string, [number, string]> = {
      '/good/fleet/stable/control': [
        200,
        JSON.stringify({
          format_version: 1,
          channel: 'stable',
          rollouts: { a: { halted: true, reason: 'step 0: 2 of 2', at: '2026-12-03T10:00:00.000Z', by: 'collector' }, b: { halted: false, reason: null, at: null, by: null } },
        }),
      ],
      '/html/fleet/stable/control': [200, '<html>a login page</html>'],
      '/other/fleet/stable/control': [200, JSON.stringify({ format_version: 1, channel: 'beta', rollouts: {} })],
      '/shape/fleet/stable/control': [200, JSON.stringify({ format_version: 2, rollouts: [] })],
      '/big/fleet/stable/control': [200, JSON.stringify({ format_version: 1, channel: 'stable', rollouts: {}, pad: 'x'.repeat(MAX_CONTROL_BYTES) })],
      '/down/fleet/stable/control': [503, JSON.stringify({ message: 'the database cannot be reached right now' })],
    };
    const server = http.createServer((req, res) => {
      const [status, body] = answers[req.url ?? ''] ?? [404, '{}'];
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    assert.deepEqual(await fetchHalts(`${base}/good/`, 'stable'), { a: { reason: 'step 0: 2 of 2', at: '2026-12-03T10:00:00.000Z' } });
    const refused = async (path: string, pattern: RegExp) => {
      const error = await fetchHalts(path.startsWith('http') ? path : `${base}${path}`, 'stable').then(
        () => assert.fail(`${path}: read as a control document`),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof TelemError, String(error));
      assert.equal(error.code, 'bundle-fetch');
      assert.match(error.message, pattern, path);
    };
    await refused('/html', /is not JSON/);
    await refused('/other', /is for channel "beta", not "stable"/);
    await refused('/shape', /is not a control document/);
    await refused('/big', /is more than \d+ bytes/);
    await refused('/down', /cannot fetch the control document/);
    await refused(`http://127.0.0.1:${await closedPort()}`, /cannot fetch the control document/);
  },
);
