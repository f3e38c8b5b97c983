/**
 * Answers given before a request's body was read (404, 405, 413, 421, 503 over the body memory)
 * close the connection instead of reading the rest: a 100 MB upload to a wrong path would
 * otherwise be read to its end, costing what accepting it would.
 *
 * Closing at once would reset the connection (the kernel answers unread data with RST) and a
 * client still sending could lose the answer with it. So the collector stops reading, writes the
 * answer and its FIN, and destroys the socket only after a short linger; meanwhile what the client
 * still sends fills the kernel buffers and its window closes. Nothing of the body is read.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { rawResponse } from '../reply/reply.js';

/** Long enough for the answer to reach a client across the world; the slot is held that long. */
export const LINGER_MS = 1_000;

/** A body the client announced (Content-Length or chunked) and the handler did not read to its end. */
export function bodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Writes the answer straight to the socket, then closes it without reading what the client still sends. */
export function answerAndClose(socket: Socket, status: number, message: string, headers: Record<string, string> = {}): void {
  socket.pause();
  socket.end(rawResponse(status, message, headers));
  // Not unref'd: a paused socket with nothing to write keeps no event loop alive, and a stopping
  // collector waits for this connection to close.
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}
