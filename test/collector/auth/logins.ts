/** Shared by the login tests: a collector with collector.auth: tokens on a fresh database, its tokens made as the CLI makes them, and plain HTTP calls. */
import type { TestContext } from 'node:test';
import type { RunningCollector } from '../../../engine/collector/collector.js';
import type { CollectorSettings } from '../../../engine/collector/config/settings.js';
import { createApiToken, revokeApiToken } from '../../../engine/collector/auth/token-admin.js';
import type { TokenRole } from '../../../engine/collector/storage/auth-store.js';
import { type Backend, freshDatabase, startTestCollector } from '../collector-helpers.js';

export interface LoginCollector {
  readonly collector: RunningCollector;
  readonly fresh: { readonly database: string; readonly schema?: string };
  /** A new API token's text (engine/collector/auth/token-admin.ts, what `telem collector token create` runs). */
  token(name: string, role: TokenRole): Promise<string>;
  revoke(name: string): Promise<void>;
}

export async function startLoginCollector(t: TestContext, backend: Backend, settings: Partial<CollectorSettings> = {}): Promise<LoginCollector> {
  const fresh = await freshDatabase(t, backend);
  const collector = await startTestCollector(t, { database: fresh, settings: { auth: 'tokens', ...settings } });
  const admin = { settings: { database: fresh.database, query_timeout: 10_000 }, ...(fresh.schema === undefined ? {} : { schema: fresh.schema }) };
  return {
    collector,
    fresh,
    token: async (name, role) => (await createApiToken({ ...admin, name, role })).token,
    revoke: async (name) => void (await revokeApiToken({ ...admin, name })),
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One request to the collector, with a bearer token, a session cookie or neither; redirects are not followed. */
export async function call(
  collector: Pick<RunningCollector, 'url'>,
  pathname: string,
  options: { method?: string; token?: string; cookie?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.cookie !== undefined) headers.Cookie = options.cookie;
  const response = await fetch(new URL(pathname, collector.url), {
    method: options.method ?? 'GET',
    headers,
    redirect: 'manual',
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** POST /login with a token as the login form sends it; the answer and the session cookie it set (name=value), if any. */
export async function login(collector: Pick<RunningCollector, 'url'>, token: string, headers: Record<string, string> = {}): Promise<{ answer: Answer; cookie: string | null }> {
  const answer = await call(collector, '/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
  });
  const setCookie = answer.headers.get('set-cookie');
  return { answer, cookie: setCookie === null ? null : (setCookie.split(';')[0] as string) };
}
