/**
 * The browser's login (docs/collector.md, auth/gate.ts):
 *   GET  /login         a form to paste an API token into;
 *   POST /login         token=<token> (a form post): a session, its cookie, and 303 to the web UI; the page again with why not;
 *   POST /logout        ends the session (with its X-Telem-CSRF value) and clears the cookie;
 *   GET  /api/session   who is logged in, and the session's CSRF value for the UI's own state-changing requests;
 * and admit(), which the router asks before routing any request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.js';
import { ANONYMOUS, type AuthGate, type Principal, UNAUTHORIZED_HEADERS } from '../auth/gate.js';
import { clearSessionCookie, setSessionCookie } from '../auth/session-cookie.js';
import type { CollectorSettings } from '../config/settings.js';
import type { SessionAnswer } from '../query/answers.js';
import { HttpError, sendJson } from '../reply/reply.js';
import { sendLoginPage } from '../ui/static.js';
import { type AccessQuestion, requiredAccess } from './access.js';
import { readBody } from './body.js';
import type { BodyMemory } from './limits.js';

export interface LoginContext {
  readonly gate: AuthGate;
  readonly auth: CollectorSettings['auth'];
  readonly memory: BodyMemory;
  readonly logger: Logger;
}

const MAX_LOGIN_BODY = 4 * 1024;
export const LOGIN_INVALID = 'That token is not valid: it is unknown or has been revoked.';
export const LOGIN_SETTINGS_TOKEN = 'That token is one of collector.admin_tokens, which work as "Authorization: Bearer" only; log in with a token of telem collector token create.';
export const LOGIN_EMPTY = 'Paste a token to log in.';

/**
 * A form post from another site's page is refused, so nobody is logged in to a session of someone
 * else's choosing. Browsers say where a request comes from in Sec-Fetch-Site, which a reverse
 * proxy rewriting Host does not change; older ones only in Origin, compared with Host. Clients
 * sending neither (curl, scripts) are not browsers.
 */
function fromThisSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * The principal of a request its path lets in (access.ts, auth/gate.ts), or the refusal thrown;
 * null when it was answered here: a browser opening the web UI without a session is sent to /login.
 */
export async function admit(context: LoginContext, question: AccessQuestion, req: IncomingMessage, res: ServerResponse): Promise<Principal | null> {
  const access = requiredAccess(question);
  if (access === 'open') return ANONYMOUS;
  try {
    return await context.gate.authorize(req, access, `${question.method} ${question.pathname}`);
  } catch (error) {
    const page = question.pathname === '/' && (question.method === 'GET' || question.method === 'HEAD');
    if (!(page && error instanceof HttpError && error.status === 401)) throw error;
    res.writeHead(303, { Location: '/login', 'Cache-Control': 'no-store', 'Content-Length': 0 }).end();
    return null;
  }
}

export async function loginEndpoint(context: LoginContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return sendLoginPage(res, { status: 200 });
  if (method !== 'POST') throw new HttpError(405, `method ${method} is not allowed here; use GET, HEAD, POST`, { Allow: 'GET, HEAD, POST' });
  if (!fromThisSite(req)) throw new HttpError(403, `a login must come from this collector's own page, not from ${req.headers.origin ?? 'another site'}`);
  const body = await readBody(req, { limit: MAX_LOGIN_BODY, memory: context.memory });
  let token: string;
  try {
    token = (new URLSearchParams(body.bytes.toString('utf8')).get('token') ?? '').trim();
  } finally {
    body.release();
  }
  if (token === '') return sendLoginPage(res, { status: 400, message: LOGIN_EMPTY });
  const opened = await context.gate.openSession(token);
  if (!opened) {
    context.logger.info({ remote: req.socket.remoteAddress }, 'login refused: unknown or revoked token');
    return sendLoginPage(res, { status: 401, message: context.gate.isSettingsToken(token) ? LOGIN_SETTINGS_TOKEN : LOGIN_INVALID, headers: UNAUTHORIZED_HEADERS });
  }
  context.logger.info({ token: opened.principal.name, role: opened.principal.role }, 'logged in');
  res.writeHead(303, { Location: '/', 'Set-Cookie': setSessionCookie(req, opened.id), 'Cache-Control': 'no-store', 'Content-Length': 0 }).end();
}

export async function logoutEndpoint(context: LoginContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, `method ${req.method} is not allowed here; use POST (the web UI's logout button does)`, { Allow: 'POST' });
  await context.gate.endSession(req);
  sendJson(res, 200, { message: 'logged out' }, { 'Set-Cookie': clearSessionCookie(req), 'Cache-Control': 'no-store' });
}

export function sessionEndpoint(context: LoginContext, principal: Principal, res: ServerResponse): void {
  const answer: SessionAnswer = {
    auth: context.auth,
    via: principal.via,
    name: principal.name,
    role: principal.role,
    csrf: principal.csrf,
    expires_at: principal.expiresAt === null ? null : new Date(principal.expiresAt).toISOString(),
  };
  sendJson(res, 200, answer, { 'Cache-Control': 'no-store' });
}
