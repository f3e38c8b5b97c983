/**
 * Starting the agent or the collector fails with one coded error type, whatever went wrong, so a
 * library user (and the CLI) can switch on the code instead of matching messages.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { startRuntime } from '../../engine/agent/runtime.js';
import { startCollector } from '../../engine/collector/collector.js';
import { defaultCollectorSettings } from '../../engine/collector/config/settings.js';
import { TelemError, asStartError } from '../../engine/errors/telem-error.js';
import { silentLogger } from '../../engine/log/logger.js';
import { oneRoutePolicy, writePolicy } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/tmp.js';

const POLICY = oneRoutePolicy({ name: 'start-errors', destination: '{ type: local }', extra: 'intake: { socket: /run/telem/agent.sock }\n' });

function coded(code: string, check: (error: TelemError) => void = () => undefined) {
  return (error: unknown) => {
    assert.ok(error instanceof TelemError, `a TelemError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check(error);
    return true;
  };
}

test('startRuntime: a policy with errors fails with policy-invalid carrying its diagnostics', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, POLICY.replace('to: [central]', 'to: [centrl]'));
  await assert.rejects(
    startRuntime({ policy, root, logger: silentLogger }),
    coded('policy-invalid', (error) =>
      assert.deepEqual(
        error.diagnostics.map((d) => d.code),
        ['unknown-destination', 'unused-destination'],
      ),
    ),
  );
});

test('startRuntime: a policy file that cannot be read fails with policy-unreadable', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(
    startRuntime({ policy: path.join(root, 'missing.yaml'), root, logger: silentLogger }),
    coded('policy-unreadable', (error) => assert.equal(error.diagnostics[0]?.code, 'file-unreadable')),
  );
});

test('startRuntime: a metrics address that is not HOST:PORT fails with metrics-address before anything starts', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, POLICY);
  await assert.rejects(startRuntime({ policy, root, logger: silentLogger, metrics: 'localhost:http' }), coded('metrics-address'));
});

test('startRuntime: a socket another process listens on fails with socket-in-use', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, POLICY);
  await mkdir(path.join(root, 'run', 'telem'), { recursive: true });
  const other = net.createServer();
  await new Promise<void>((resolve) => other.listen(path.join(root, 'run', 'telem', 'agent.sock'), resolve));
  t.after(() => other.close());
  await assert.rejects(startRuntime({ policy, root, logger: silentLogger }), coded('socket-in-use'));
});

test('startRuntime: a socket directory the system refuses (a file in its path) fails with system, keeping the errno error as cause', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, POLICY);
  await writeFile(path.join(root, 'run'), 'not a directory');
  await assert.rejects(
    startRuntime({ policy, root, logger: silentLogger }),
    coded('system', (error) => assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOTDIR')),
  );
});

test('startCollector: bad settings, a busy address and an unknown database each fail with their own code', async (t) => {
  const root = await tempDir(t);
  const settings = { ...defaultCollectorSettings(), listen: '127.0.0.1:0', database: 'sqlite::memory:' };
  await assert.rejects(startCollector({ settings: { ...settings, listen: 'localhost' }, root }), coded('listen-address'));
  await assert.rejects(startCollector({ settings: { ...settings, database: 'mysql://db/telem' }, root }), coded('database-setting'));
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const { port } = busy.address() as net.AddressInfo;
  await assert.rejects(
    startCollector({ settings: { ...settings, listen: `127.0.0.1:${port}` }, root }),
    coded('address-in-use', (error) => assert.equal(error.message, `cannot listen on 127.0.0.1:${port}: the address is in use`)),
  );
});

test('asStartError: coded errors pass, a refused system call becomes system (address-in-use for listen), a bug is rethrown as it is', () => {
  const coded = new TelemError('locked', 'held');
  assert.equal(asStartError(coded), coded);
  const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'open', errno: -2 });
  assert.equal(asStartError(enoent).code, 'system');
  const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen', errno: -98 });
  assert.equal(asStartError(inUse).code, 'address-in-use');
  const bug = new TypeError('x is undefined');
  assert.throws(
    () => asStartError(bug),
    (error: unknown) => error === bug,
  );
  // An errno-looking code without a system call behind it is not the machine's fault.
  const made = Object.assign(new Error('made up'), { code: 'ENOSPC' });
  assert.throws(
    () => asStartError(made),
    (error: unknown) => error === made,
  );
});
