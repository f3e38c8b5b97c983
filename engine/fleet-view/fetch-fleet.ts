/**
 * `telem fleet status`'s side of GET /api/fleet: the answer fetched from a collector with ofetch,
 * checked to be a fleet answer, and any failure to get one a `collector-unavailable` TelemError.
 */
import { FetchError, ofetch } from 'ofetch';
import type { FleetAnswer } from '../collector/query/answers.js';
import { TelemError } from '../errors/telem-error.js';

export interface FleetRequest {
  /** The collector's base URL (its API listener when listen_api is set). */
  readonly collector: string;
  readonly channel?: readonly string[];
  readonly state?: readonly string[];
  readonly limit?: number;
  /** An API token, sent as "Authorization: Bearer" (a collector with collector.auth: tokens needs one). */
  readonly token?: string;
  /** ms; 10 s unless said. */
  readonly timeoutMs?: number;
}

/** `path` (relative, such as "api/fleet") on a collector's base URL; a collector given without a scheme is http://. */
export function collectorUrl(collector: string, path: string): URL {
  const base = /^[a-z][a-z0-9+.-]*:\/\//i.test(collector) ? collector : `http://${collector}`;
  try {
    return new URL(path, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new TelemError('collector-unavailable', `"${collector}" is not a collector URL`, { hint: 'give one such as http://127.0.0.1:8080/' });
  }
}

/** The URL of GET /api/fleet for a request. */
export function fleetUrl(request: FleetRequest): URL {
  const url = collectorUrl(request.collector, 'api/fleet');
  for (const channel of request.channel ?? []) url.searchParams.append('channel', channel);
  if (request.state?.length) url.searchParams.set('state', request.state.join(','));
  if (request.limit !== undefined) url.searchParams.set('limit', String(request.limit));
  return url;
}

function isFleetAnswer(body: unknown): body is FleetAnswer {
  if (typeof body !== 'object' || body === null) return false;
  const answer = body as Record<string, unknown>;
  return answer.format_version === 1 && typeof answer.total_machines === 'number' && Array.isArray(answer.channels) && Array.isArray(answer.machines);
}

/** Why a request failed, in a few words: the collector's own message for an error answer. */
export function requestFailure(error: unknown): string {
  if (error instanceof FetchError && error.status !== undefined) {
    const data = error.data as unknown;
    const message = typeof data === 'object' && data !== null && 'message' in data ? `: ${String((data as { message: unknown }).message)}` : '';
    return `HTTP ${error.status}${message}`;
  }
  // ofetch's error wraps fetch's "fetch failed", which wraps the system error (ECONNREFUSED, ENOTFOUND, …).
  let innermost: unknown = error;
  while (typeof innermost === 'object' && innermost !== null && 'cause' in innermost && innermost.cause instanceof Error) innermost = innermost.cause;
  const code = (innermost as { code?: unknown }).code;
  const text = (innermost as Error).message ?? String(innermost);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

export async function fetchFleet(request: FleetRequest): Promise<FleetAnswer> {
  const url = fleetUrl(request);
  let body: unknown;
  try {
    body = await ofetch<unknown>(url.href, {
      retry: 0,
      timeout: request.timeoutMs ?? 10_000,
      headers: { Accept: 'application/json', ...(request.token === undefined ? {} : { Authorization: `Bearer ${request.token}` }) },
    });
  } catch (error) {
    throw new TelemError('collector-unavailable', `cannot get the fleet from ${url.href}: ${requestFailure(error)}`, { cause: error });
  }
  if (!isFleetAnswer(body)) {
    throw new TelemError('collector-unavailable', `${url.href} did not answer with a fleet (format_version 1)`, {
      hint: 'is this a telem collector, and its API listener (collector.listen_api)?',
    });
  }
  return body;
}
