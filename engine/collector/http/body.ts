/** Reads a request body, refusing more than the configured size (413) without buffering it. */
import type { IncomingMessage } from 'node:http';
import { formatSize } from '../../../schemas/units.js';
import { HttpError } from './reply.js';

function tooLarge(limit: number): HttpError {
  // Connection: close, so the rest of an oversized upload is not read.
  return new HttpError(413, `request body is larger than the collector accepts (${formatSize(limit)})`, { Connection: 'close' });
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(limit));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
