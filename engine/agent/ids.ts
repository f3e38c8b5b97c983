import { randomBytes } from 'node:crypto';

/** 32 lowercase hex characters, like upstream's record and event ids. */
export function randomId(): string {
  return randomBytes(16).toString('hex');
}
