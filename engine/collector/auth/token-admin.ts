/**
 * `telem collector token create|list|revoke`: API tokens managed in the collector's own database,
 * beside a running collector (the SQLite file is opened without its lock: storage/open-store.ts
 * `shared`). A token's text is made here, returned once, and only its digest is stored.
 */
import { TelemError } from '../../errors/telem-error.js';
import type { CollectorSettings } from '../config/settings.js';
import { openStore } from '../storage/open-store.js';
import type { ApiToken, AuthStore, TokenRole } from '../storage/auth-store.js';
import { tokenDigest } from '../validation/tenant.js';
import { TOKEN_NAME, TOKEN_NAME_ERROR, newApiToken } from './secrets.js';

export interface TokenAdminOptions {
  /** The collector's settings: its database (and query timeout) are used. */
  readonly settings: Pick<CollectorSettings, 'database' | 'query_timeout'>;
  /** Root for SQLite paths (engine/paths/root.ts). */
  readonly root?: string;
  /** PostgreSQL schema instead of the default search path. */
  readonly schema?: string;
  readonly now?: () => number;
}

async function withTokens<T>(options: TokenAdminOptions, work: (auth: AuthStore, now: number) => Promise<T>): Promise<T> {
  const { store } = await openStore({
    database: options.settings.database,
    queryTimeoutMs: options.settings.query_timeout,
    shared: true,
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  try {
    return await work(store.auth, (options.now ?? Date.now)());
  } finally {
    await store.close();
  }
}

/** Creates a token; its text is in the answer and nowhere else. */
export async function createApiToken(options: TokenAdminOptions & { readonly name: string; readonly role: TokenRole }): Promise<{ readonly token: string; readonly created: ApiToken }> {
  if (!TOKEN_NAME.test(options.name)) throw new TelemError('token-name-invalid', `"${options.name}" cannot name a token: ${TOKEN_NAME_ERROR}`);
  const token = newApiToken();
  const created = await withTokens(options, (auth, now) => auth.createToken({ name: options.name, role: options.role, digest: tokenDigest(token) }, now));
  if (!created) {
    throw new TelemError('token-name-taken', `a token named "${options.name}" exists already`, {
      hint: `revoke it first (telem collector token revoke ${options.name}) or pick another name`,
    });
  }
  return { token, created };
}

export async function listApiTokens(options: TokenAdminOptions): Promise<ApiToken[]> {
  return withTokens(options, (auth) => auth.listTokens());
}

/** Revokes the active token of this name; its sessions end with it. */
export async function revokeApiToken(options: TokenAdminOptions & { readonly name: string }): Promise<ApiToken> {
  const revoked = await withTokens(options, (auth, now) => auth.revokeToken(options.name, now));
  if (!revoked) throw new TelemError('token-unknown', `no active token is named "${options.name}"`, { hint: 'telem collector token list shows them' });
  return revoked;
}

/** A time as 2026-01-02T03:04:05Z (to the second), in UTC. */
const instant = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The tokens as an aligned table, oldest first; last used is written at most once a minute. */
export function formatTokenTable(tokens: readonly ApiToken[]): string {
  const rows = [
    ['NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'],
    ...tokens.map((token) => [
      token.name,
      token.role,
      instant(token.created_at),
      token.last_used_at === null ? 'never' : instant(token.last_used_at),
      token.revoked_at === null ? '-' : instant(token.revoked_at),
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length)));
  return rows.map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ')}\n`).join('');
}
