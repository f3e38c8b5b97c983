/** Preparing the socket path: a stale socket left by a crash is replaced, a live one is not. */
import { lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { TelemError } from '../errors/telem-error.js';

/** True when a process accepts connections on the socket (the connection is closed at once). */
export function isListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export async function prepareSocketPath(socketPath: string): Promise<void> {
  await mkdir(path.dirname(socketPath), { recursive: true });
  let info;
  try {
    info = await lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!info.isSocket()) throw new TelemError('socket-in-use', `${socketPath} exists and is not a socket; refusing to replace it`);
  if (await isListening(socketPath)) throw new TelemError('socket-in-use', `another process is already listening on ${socketPath}`);
  await unlink(socketPath);
}
