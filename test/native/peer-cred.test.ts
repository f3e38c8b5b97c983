import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, open } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { nativeAddon } from '../../engine/native/addon.js';
import { peerCredentials, type PeerCredentials } from '../../engine/native/peer-cred.js';
import { tempDir } from '../helpers/tmp.js';

const NOBODY = 65534;

/** A unix-socket server, reachable by any user, that reports the credentials of each accepted connection. */
async function credentialServer(t: TestContext): Promise<{ socketPath: string; next: () => Promise<{ socket: Socket; cred: PeerCredentials | null }> }> {
  const dir = await tempDir(t);
  await chmod(dir, 0o755); // so that a child running as nobody can reach the socket
  const socketPath = path.join(dir, 'peer.sock');
  const accepted: { socket: Socket; cred: PeerCredentials | null }[] = [];
  const waiters: (() => void)[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    accepted.push({ socket, cred: peerCredentials(socket) });
    waiters.shift()?.();
  });
  server.listen(socketPath);
  await once(server, 'listening');
  await chmod(socketPath, 0o666);
  t.after(() => {
    for (const { socket } of accepted) socket.destroy();
    server.close();
  });
  let taken = 0;
  return {
    socketPath,
    next: async () => {
      while (accepted.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve));
      return accepted[taken++]!;
    },
  };
}

test('peerCredentials: a connection from this process reports its uid, gid and pid', async (t) => {
  const { socketPath, next } = await credentialServer(t);
  const client = net.createConnection(socketPath);
  t.after(() => client.destroy());
  const { cred } = await next();
  assert.deepEqual(cred, { uid: process.getuid!(), gid: process.getgid!(), pid: process.pid });
});

test('peerCredentials: a connection from a child running as nobody reports uid 65534 and the child pid', { timeout: 20_000 }, async (t) => {
  assert.equal(process.getuid!(), 0, 'this test needs root to start a child as another user');
  const { socketPath, next } = await credentialServer(t);
  const child = spawn(process.execPath, ['-e', 'require("net").connect(process.argv[1]).on("close", () => process.exit(0)).on("error", () => process.exit(3))', socketPath], {
    uid: NOBODY,
    gid: NOBODY,
    cwd: '/',
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const { socket, cred } = await next();
  assert.deepEqual(cred, { uid: NOBODY, gid: NOBODY, pid: child.pid });
  socket.destroy();
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('peerCredentials: null for a TCP connection, which has no unix peer', async (t) => {
  const seen: (PeerCredentials | null)[] = [];
  const server = net.createServer((socket) => {
    seen.push(peerCredentials(socket));
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const client = net.createConnection((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  await once(client, 'close');
  assert.deepEqual(seen, [null]);
});

test('peerCredentials: null for a socket that was destroyed', async (t) => {
  const { socketPath, next } = await credentialServer(t);
  const client = net.createConnection(socketPath);
  t.after(() => client.destroy());
  const { socket } = await next();
  socket.destroy();
  assert.equal(peerCredentials(socket), null);
});

test('native peerCred: errors carry the errno name, number and syscall', async (t) => {
  const dir = await tempDir(t);
  const file = await open(path.join(dir, 'plain'), 'w');
  t.after(() => file.close());
  assert.throws(() => nativeAddon().peerCred(file.fd), { code: 'ENOTSOCK', errno: 88, syscall: 'getsockopt', message: 'ENOTSOCK: Socket operation on non-socket, getsockopt' });
  assert.throws(() => nativeAddon().peerCred(-1), { code: 'EBADF', errno: 9, syscall: 'getsockopt' });
  assert.throws(() => nativeAddon().peerCred('3' as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'fd must be a number' });
});
