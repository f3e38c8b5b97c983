/**
 * Which path answers what, on each kind of listener:
 *   all     (one listener, the default): ingest, the query API, the web UI and /healthz;
 *   ingest  (`listen` when listen_api is set): POST /v2/collector, POST /v3/collector, POST /, POST /telem/v1/records, /healthz and
 *           GET /fleet/<channel>/control (what agents poll);
 *   api     (`listen_api`): the web UI, /api/* (with the admin POSTs and PUTs of /api/crash-rules and /api/crash-groups/<signature>), /healthz and the control document, no ingest.
 * So an operator can publish only ingest to the fleet and keep reads on an internal address.
 * What a path needs (nothing, a login, an admin login) is decided once, before routing (access.ts, auth/gate.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type QueryContext, crashesEndpoint, fieldsEndpoint, fleetEndpoint, recordEndpoint, recordsEndpoint, statsEndpoint } from '../query/api.js';
import { HttpError } from '../reply/reply.js';
import { isAsset, sendAsset } from '../ui/static.js';
import { batchIngest } from './batch-ingest.js';
import { type CrashRulesContext, crashRulesEndpoint, replaceCrashRulesEndpoint } from './crash-rules.js';
import { type CrashGroupsContext, crashGroupEndpoint, crashGroupSignature, setCrashGroupEndpoint } from './crash-groups.js';
import { healthEndpoint } from './health.js';
import { machineChecksEndpoint, populationEndpoint } from '../query/population.js';
import { type LoginContext, admit, loginEndpoint, logoutEndpoint, sessionEndpoint } from './login.js';
import { type IngestContext, ingest } from './ingest.js';
import { type RolloutControlContext, adminRolloutEndpoint, adminRolloutPath, controlChannel, controlEndpoint } from './rollout-control.js';

export type ListenerRole = 'all' | 'ingest' | 'api';

/** The query endpoints answered below the table, GET and HEAD only (access.ts QUERY_ENDPOINTS lists them too). */
const QUERY_PATHS = new Set(['/api/records', '/api/stats', '/api/crashes', '/api/fields', '/api/fleet', '/api/population', '/api/machine-checks']);

/** Paths records are POSTed to, and the protocol each speaks (upstream: /v2/collector and /). */
const INGEST_PATHS: Record<string, 'v2' | 'v3' | 'telem'> = { '/v2/collector': 'v2', '/': 'v2', '/v3/collector': 'v3', '/telem/v1/records': 'telem' };

/** Receives records on an ingest path. */
function receive(context: RouterContext, protocol: 'v2' | 'v3' | 'telem', req: IncomingMessage, res: ServerResponse): Promise<void> {
  return protocol === 'telem' ? batchIngest(context.ingest, req, res) : ingest(context.ingest, req, res, protocol);
}

export interface RouterContext {
  readonly ingest: IngestContext;
  readonly query: QueryContext;
  readonly rollouts: RolloutControlContext;
  readonly crashRules: CrashRulesContext;
  readonly crashGroups: CrashGroupsContext;
  readonly login: LoginContext;
}

function methodNotAllowed(req: IncomingMessage, allow: string, why = ''): HttpError {
  return new HttpError(405, `method ${req.method} is not allowed here; use ${allow}${why}`, { Allow: allow });
}

/** One method of an API path; who may call it is decided before routing (access.ts: every method but GET and HEAD under /api/ is an admin action). */
interface Endpoint {
  answer(context: RouterContext, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The API paths answered from this table (the older ones below are tested in turn), by method; GET serves HEAD too. */
const API_ROUTES: Readonly<Record<string, Readonly<Record<string, Endpoint>>>> = {
  '/api/crash-rules': {
    GET: { answer: (context, url, _req, res) => crashRulesEndpoint(context.crashRules, url.searchParams, res) },
    PUT: { answer: (context, url, req, res) => replaceCrashRulesEndpoint(context.crashRules, url.searchParams, req, res) },
  },
};

async function tableRoute(context: RouterContext, routes: Readonly<Record<string, Endpoint>>, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  const endpoint = Object.hasOwn(routes, method) ? routes[method] : undefined;
  if (!endpoint) {
    const methods = Object.keys(routes);
    throw methodNotAllowed(req, (methods.includes('GET') ? ['GET', 'HEAD', ...methods.filter((name) => name !== 'GET')] : methods).join(', '));
  }
  return endpoint.answer(context, url, req, res);
}

export async function route(context: RouterContext, role: ListenerRole, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://collector');
  const { pathname } = url;
  const method = req.method ?? 'GET';
  const reading = method === 'GET' || method === 'HEAD';
  const protocol = INGEST_PATHS[pathname];

  const principal = await admit(context.login, { listener: role, method, pathname, ingestPath: protocol !== undefined }, req, res);
  if (principal === null) return;

  if (pathname === '/healthz') {
    if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
    return healthEndpoint(context.query.store, res);
  }

  // Agents poll it where they send records, so every listener serves it.
  const channel = controlChannel(pathname);
  if (channel !== undefined) {
    if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
    return controlEndpoint(context.query, channel, res);
  }

  if (role === 'ingest') {
    if (protocol && method === 'POST') return receive(context, protocol, req, res);
    throw new HttpError(404, `nothing here: ${method} ${pathname}; this listener only receives records, the web UI and query API are on the API listener (collector.listen_api)`);
  }

  if (pathname === '/login') return loginEndpoint(context.login, req, res);
  if (pathname === '/logout') return logoutEndpoint(context.login, req, res);
  if (pathname === '/api/session') {
    if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
    return sessionEndpoint(context.login, principal, res);
  }

  if (protocol) {
    if (method === 'POST') {
      if (role === 'all') return receive(context, protocol, req, res);
      throw methodNotAllowed(req, 'GET, HEAD, OPTIONS', '; records are received on the ingest listener (collector.listen), not on the API listener');
    }
    if (reading && pathname === '/') return sendAsset('/', res);
    // Upstream redirects browsers from the collector URL to its UI.
    if (reading) {
      res.writeHead(302, { Location: '/' }).end();
      return;
    }
    const allow = role === 'all' ? 'GET, HEAD, POST, OPTIONS' : 'GET, HEAD, OPTIONS';
    if (method === 'OPTIONS') {
      res.writeHead(204, { Allow: allow }).end();
      return;
    }
    throw methodNotAllowed(req, allow);
  }

  if (isAsset(pathname)) {
    if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
    return sendAsset(pathname, res);
  }

  const routes = Object.hasOwn(API_ROUTES, pathname) ? API_ROUTES[pathname] : undefined;
  if (routes) return tableRoute(context, routes, url, req, res);

  const signature = crashGroupSignature(pathname);
  if (signature !== undefined) {
    return tableRoute(
      context,
      {
        GET: { answer: (context, url, _req, res) => crashGroupEndpoint(context.crashGroups, signature, url.searchParams, res) },
        PUT: { answer: (context, url, req, res) => setCrashGroupEndpoint(context.crashGroups, { signature, by: principal.name ?? '' }, url.searchParams, req, res) },
      },
      url,
      req,
      res,
    );
  }

  const admin = adminRolloutPath(pathname);
  if (admin !== undefined) {
    if (method !== 'POST') throw methodNotAllowed(req, 'POST');
    return adminRolloutEndpoint(context.rollouts, { ...admin, by: principal.name ?? '' }, req, res);
  }

  const recordId = /^\/api\/records\/([^/]+)$/.exec(pathname)?.[1];
  if (QUERY_PATHS.has(pathname) || recordId !== undefined) {
    if (!reading) throw methodNotAllowed(req, 'GET, HEAD');
    if (recordId !== undefined) return recordEndpoint(context.query, recordId, res);
    if (pathname === '/api/fields') return fieldsEndpoint(url.searchParams, res);
    if (pathname === '/api/records') return recordsEndpoint(context.query, url.searchParams, res);
    if (pathname === '/api/stats') return statsEndpoint(context.query, url.searchParams, res);
    if (pathname === '/api/fleet') return fleetEndpoint(context.query, url.searchParams, res);
    if (pathname === '/api/population') return populationEndpoint(context.query, url.searchParams, res);
    if (pathname === '/api/machine-checks') return machineChecksEndpoint(context.query, url.searchParams, res);
    return crashesEndpoint(context.query, url.searchParams, res);
  }
  throw new HttpError(404, `nothing here: ${method} ${pathname}`);
}
