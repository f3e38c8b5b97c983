/** Who is on the other end of an accepted unix-socket connection (SO_PEERCRED). */
import type { Socket } from 'node:net';
import { nativeAddon } from './addon.js';

export interface PeerCredentials {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

/** What the kernel reports for uid and gid when a socket has no unix peer: (uid_t)-1. */
const NO_ID = 0xffff_ffff;

/**
 * The credentials the kernel recorded when the peer connected, or null when they are not
 * available: the socket has no descriptor (not yet connected, already destroyed), is not a
 * unix socket, or the kernel refuses (any system error).
 */
export function peerCredentials(socket: Socket): PeerCredentials | null {
  // Node keeps the descriptor on the internal handle; on Linux it is a number ≥ 0 for an open pipe or TCP handle.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  let cred: { pid: number; uid: number; gid: number };
  try {
    cred = nativeAddon().peerCred(fd);
  } catch (error) {
    if (isSystemError(error)) return null;
    throw error;
  }
  if (cred.uid === NO_ID) return null;
  return { uid: cred.uid, gid: cred.gid, pid: cred.pid };
}

function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}
