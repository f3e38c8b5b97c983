/**
 * The browser's session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's
 * page sends it), Path=/, and Secure when the request came over HTTPS, directly or through a
 * reverse proxy saying so in X-Forwarded-Proto. A forged X-Forwarded-Proto only adds Secure to the
 * forger's own cookie, so the header is trusted for that. No Max-Age: the browser forgets it when
 * it closes; the collector ends it earlier (sessions expire server-side).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const SESSION_COOKIE = 'telem_session';

/** The session id of the Cookie header, or null. */
export function sessionCookie(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.split('=');
    if (name?.trim() === SESSION_COOKIE) {
      const id = value.join('=').trim();
      return /^[A-Za-z0-9_-]{1,100}$/.test(id) ? id : null;
    }
  }
  return null;
}

export function cameOverHttps(req: IncomingMessage): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

function attributes(req: IncomingMessage): string {
  return `HttpOnly; SameSite=Strict; Path=/${cameOverHttps(req) ? '; Secure' : ''}`;
}

export function setSessionCookie(req: IncomingMessage, sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; ${attributes(req)}`;
}

export function clearSessionCookie(req: IncomingMessage): string {
  return `${SESSION_COOKIE}=; ${attributes(req)}; Max-Age=0`;
}
