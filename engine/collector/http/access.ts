/**
 * What each request needs before the router answers it, decided from its listener, method and path
 * alone, in this one place (http/router.ts asks before routing), so an endpoint added to the router
 * is covered without naming it here:
 *   open   what agents and probes use: ingest POSTs, /healthz, GET /fleet/<channel>/control; the
 *          login page and the UI's script and styles (no data); everything on an ingest-only listener;
 *   read   every other GET, HEAD and OPTIONS: the web UI's page, /api/*, exports, fleet views; and any
 *          method on the query endpoints, which serve only GET and HEAD (the router answers the rest 405);
 *   admin  every other method under /api/ (rollout halts and resumes, and any admin action to come).
 */
import type { Access } from '../auth/gate.js';
import type { ListenerRole } from './router.js';

/** Paths served to anyone: the login page and what it and the UI load. */
const OPEN_PATHS = new Set(['/healthz', '/login', '/logout', '/ui/app.js', '/ui/dom.js', '/ui/charts.js', '/ui/crash-group.js', '/ui/population.js', '/ui/style.css']);
const READING = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * The query endpoints, which answer only GET and HEAD (router.ts; a POST there is a 405 for whoever
 * may read, not an admin action). An endpoint that changes something must not be listed here.
 */
const QUERY_ENDPOINTS = /^\/api\/(?:records(?:\/[^/]+)?|stats|crashes|fields|fleet|session|population|machine-checks)$/;

export interface AccessQuestion {
  readonly listener: ListenerRole;
  readonly method: string;
  readonly pathname: string;
  /** The path is one records are POSTed to (router.ts INGEST_PATHS). */
  readonly ingestPath: boolean;
}

export function requiredAccess(question: AccessQuestion): Access {
  const { listener, method, pathname } = question;
  if (listener === 'ingest' || OPEN_PATHS.has(pathname) || /^\/fleet\/[^/]+\/control$/.test(pathname)) return 'open';
  // GET / is the web UI's page; the other methods there, and every method on the other ingest paths, are ingest's.
  if (question.ingestPath && !(pathname === '/' && (method === 'GET' || method === 'HEAD'))) return 'open';
  if (READING.has(method) || QUERY_ENDPOINTS.test(pathname)) return 'read';
  return pathname.startsWith('/api/') ? 'admin' : 'read';
}
