/**
 * The secrets of a login: API tokens (`telem_` and 32 random bytes in base64url, printed once),
 * session ids (32 random bytes, only in the browser's cookie) and each session's CSRF value.
 * The database holds their SHA-256 digests (validation/tenant.ts tokenDigest), never the text.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'telem_';
/** What a token name may be: the same as an admin token's (schemas/collector.ts). */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;
export const TOKEN_NAME_ERROR = 'a token name is letters, digits, ".", "_", "@" and "-" (at most 100), starting with a letter or digit';

export function newApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The CSRF value of a session, derived from its id: only a page that can read the session's
 * answers (GET /api/session, same origin) learns it, and the database, which has the id's digest
 * only, cannot give it.
 */
export function csrfValue(sessionId: string): string {
  return createHash('sha256').update(`telem-csrf\0${sessionId}`, 'utf8').digest('base64url');
}

/** Equal strings, compared in constant time (lengths may differ). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
