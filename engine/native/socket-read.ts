/**
 * Reading a connection without libuv: look at what the kernel holds (peek), and take bytes off
 * the socket only when asked. The intake uses it to write a record to the spool while its bytes
 * are still unread in the kernel, so an agent killed in between leaves them unread, and the probe
 * waiting for the close sees the connection reset instead of a clean close.
 */
import type { Socket } from 'node:net';
import { nativeAddon } from './addon.js';

function descriptor(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** Up to `length` bytes waiting on the socket, left there; null when nothing is there yet or the socket cannot be read this way. */
export function peekSocket(socket: Socket, length: number): Buffer | null {
  const fd = descriptor(socket);
  if (fd === null) return null;
  try {
    return nativeAddon().recv(fd, length, true);
  } catch {
    return null;
  }
}

/** True once the peer will send nothing more (or the socket cannot be asked). */
export function peerDone(socket: Socket): boolean {
  const fd = descriptor(socket);
  if (fd === null) return true;
  try {
    return nativeAddon().peerShutdown(fd);
  } catch {
    return true;
  }
}

/** Takes `length` bytes (already seen by peekSocket) off the socket. */
export function consumeSocket(socket: Socket, length: number): void {
  const fd = descriptor(socket);
  if (fd === null) return;
  let left = length;
  try {
    while (left > 0) {
      const taken = nativeAddon().recv(fd, left, false);
      if (taken === null || taken.length === 0) return;
      left -= taken.length;
    }
  } catch {
    // The peer went away: nothing left to take.
  }
}
