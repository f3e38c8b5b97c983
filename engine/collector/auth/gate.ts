/**
 * Who is asking, and may they: every request to the read side (the web UI's data, /api/*, exports,
 * fleet views) and every admin action passes here once (http/router.ts), with the access its path
 * needs (http/access.ts).
 *
 *   Authorization: Bearer <token>   an API token (role read or admin) or a token of collector.admin_tokens (admin);
 *   the telem_session cookie        a browser session opened at /login with an API token, of that token's role;
 *                                   a request changing something with it must carry its X-Telem-CSRF value;
 *   neither                         with collector.auth: none, reads are allowed; otherwise 401.
 *
 * Admin actions always need an admin credential, whatever collector.auth says. Tokens are compared
 * as digests in constant time; sessions are looked up by the digest of their random id.
 */
import type { IncomingMessage } from 'node:http';
import type { CollectorSettings } from '../config/settings.js';
import { HttpError } from '../reply/reply.js';
import type { ActiveToken, ApiToken, AuthStore, TokenRole } from '../storage/auth-store.js';
import { bearerToken, digestIndex, tokenDigest } from '../validation/tenant.js';
import { csrfValue, newSessionId, sameSecret } from './secrets.js';
import { sessionCookie } from './session-cookie.js';

/** What a request needs: nothing, a login of any role, or an admin one. */
export type Access = 'open' | 'read' | 'admin';

export interface Principal {
  /** token: Authorization: Bearer; session: the browser's cookie; anonymous: collector.auth none. */
  readonly via: 'token' | 'session' | 'anonymous';
  /** The token's name (an admin_tokens entry's name); null when anonymous. */
  readonly name: string | null;
  readonly role: TokenRole;
  /** A session's CSRF value (secrets.ts), which its state-changing requests send as X-Telem-CSRF. */
  readonly csrf: string | null;
  /** When a session ends unless used again (ms). */
  readonly expiresAt: number | null;
}

/** Who a request is when nobody logged in: what open paths and collector.auth: none serve. */
export const ANONYMOUS: Principal = Object.freeze({ via: 'anonymous', name: null, role: 'read', csrf: null, expiresAt: null });

export const CSRF_HEADER = 'x-telem-csrf';
/** A session lasts this long after its last use. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** last_used_at and a session's expiry are written at most this often per token or session. */
const TOUCH_INTERVAL_MS = 60_000;

export const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Bearer realm="telem"' } as const;
export const LOGIN_NEEDED = 'this collector needs a login: send "Authorization: Bearer <token>" with a token from "telem collector token create", or log in at /login';
export const TOKEN_INVALID = 'the bearer token is not valid: it is unknown or has been revoked';
export const SESSION_ENDED = 'the session has ended (expired, logged out, or its token revoked); log in again at /login';
export const CSRF_MISSING = 'a request changing something with the session cookie needs the X-Telem-CSRF header of its session (the web UI sends it; GET /api/session gives it)';
export const NO_ADMIN_TOKENS =
  'this collector has no admin tokens: create one with "telem collector token create --name NAME --role admin", or list one in collector.admin_tokens ([{ name, token: "sha256:<hex>" }])';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthGateOptions {
  readonly store: AuthStore;
  readonly settings: Pick<CollectorSettings, 'auth' | 'admin_tokens'>;
  readonly now: () => number;
}

export interface OpenedSession {
  readonly id: string;
  readonly principal: Principal;
}

export interface AuthGate {
  /** The principal of a request needing `access` (`what` names it in a refusal), or the HttpError refusing it. */
  authorize(req: IncomingMessage, access: Exclude<Access, 'open'>, what: string): Promise<Principal>;
  /** A new session for an API token's text; null for a token that is not an active API token. */
  openSession(token: string): Promise<OpenedSession | null>;
  /** Ends the request's session, if it has one (403 without its CSRF value). */
  endSession(req: IncomingMessage): Promise<void>;
  /** True when the token is one of collector.admin_tokens (which work as bearer tokens only). */
  isSettingsToken(token: string): boolean;
}

/** A state-changing request made with the session cookie carries the session's CSRF value, which another site's page cannot know. */
function checkCsrf(req: IncomingMessage, csrf: string): void {
  const header = req.headers[CSRF_HEADER];
  if (typeof header !== 'string' || !sameSecret(header, csrf)) throw new HttpError(403, CSRF_MISSING);
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, UNAUTHORIZED_HEADERS);
}

export function createAuthGate(options: AuthGateOptions): AuthGate {
  const { store, settings, now } = options;
  const settingsDigests = settings.admin_tokens.map((entry) => entry.token);

  async function touched(token: ApiToken): Promise<void> {
    const at = now();
    if (token.last_used_at === null || at - token.last_used_at >= TOUCH_INTERVAL_MS) await store.touchToken(token.id, at);
  }

  /** The active API token of this digest: compared with every one in constant time (there are few). */
  async function activeToken(digest: string): Promise<ActiveToken | undefined> {
    const active = await store.activeTokens();
    return active[
      digestIndex(
        digest,
        active.map((entry) => entry.digest),
      )
    ];
  }

  async function fromBearer(token: string): Promise<Principal> {
    const digest = tokenDigest(token);
    const listed = digestIndex(digest, settingsDigests);
    if (listed >= 0) return { via: 'token', name: (settings.admin_tokens[listed] as { name: string }).name, role: 'admin', csrf: null, expiresAt: null };
    const found = await activeToken(digest);
    if (!found) throw unauthorized(TOKEN_INVALID);
    await touched(found);
    return { via: 'token', name: found.name, role: found.role, csrf: null, expiresAt: null };
  }

  // Sessions, which may be many, are looked up by an index on the digest of their id: the time an
  // index takes can only tell how much of a SHA-256 digest a guess shared, which says nothing about
  // an id of 32 random bytes.
  async function fromSession(id: string, req: IncomingMessage): Promise<Principal> {
    const at = now();
    const session = await store.session(tokenDigest(id), at);
    if (!session) throw unauthorized(SESSION_ENDED);
    const csrf = csrfValue(id);
    if (!SAFE_METHODS.has(req.method ?? 'GET')) checkCsrf(req, csrf);
    let expiresAt = session.expires_at;
    if (at + SESSION_TTL_MS - expiresAt >= TOUCH_INTERVAL_MS) {
      expiresAt = at + SESSION_TTL_MS;
      await store.extendSession(session.id, expiresAt);
    }
    await touched(session.token);
    return { via: 'session', name: session.token.name, role: session.token.role, csrf, expiresAt };
  }

  async function hasAdminToken(): Promise<boolean> {
    return settingsDigests.length > 0 || (await store.countActive('admin')) > 0;
  }

  return {
    async authorize(req, access, what) {
      // With collector.auth: none a read needs nothing, and a stale cookie or token must not get in its way.
      if (access === 'read' && settings.auth === 'none') return ANONYMOUS;
      // Nobody can do what no token could allow: said before any token is looked at.
      if (access === 'admin' && !(await hasAdminToken())) throw new HttpError(403, NO_ADMIN_TOKENS);
      const bearer = bearerToken(req.headers.authorization);
      const cookie = bearer === null ? sessionCookie(req) : null;
      if (bearer === null && cookie === null) {
        throw unauthorized(access === 'admin' ? `${what} needs "Authorization: Bearer <token>" with an admin token` : LOGIN_NEEDED);
      }
      const principal = bearer !== null ? await fromBearer(bearer) : await fromSession(cookie as string, req);
      if (access === 'admin' && principal.role !== 'admin') {
        throw new HttpError(403, `the token "${principal.name ?? ''}" has role read; ${what} needs an admin token`);
      }
      return principal;
    },

    async openSession(token) {
      const found = await activeToken(tokenDigest(token));
      if (!found) return null;
      const id = newSessionId();
      const at = now();
      const expiresAt = at + SESSION_TTL_MS;
      await store.createSession({ digest: tokenDigest(id), tokenId: found.id, expiresAt }, at);
      await touched(found);
      return { id, principal: { via: 'session', name: found.name, role: found.role, csrf: csrfValue(id), expiresAt } };
    },

    async endSession(req) {
      const id = sessionCookie(req);
      if (id === null) return;
      const digest = tokenDigest(id);
      // A session that has ended already has nothing left to protect.
      if (!(await store.session(digest, now()))) return;
      checkCsrf(req, csrfValue(id));
      await store.endSession(digest);
    },

    isSettingsToken: (token) => digestIndex(tokenDigest(token), settingsDigests) >= 0,
  };
}
