/**
 * Step 1 of upstream's pipeline, the tenant id (exact, case-sensitive), checked for every record
 * version; plus optional bearer tokens per tenant, stored in the policy as SHA-256 digests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface Tenant {
  readonly tid: string;
  /** "sha256:<hex>" digests of accepted bearer tokens; empty = no token needed. */
  readonly tokens: readonly string[];
}

export type TenantVerdict = { readonly ok: true; readonly tenant: Tenant } | { readonly ok: false; readonly status: 400 | 401; readonly message: string };

export const TOKEN_REQUIRED_MESSAGE = 'this tenant requires "Authorization: Bearer <token>" with a valid token';

export function tokenDigest(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

function digestMatches(digest: string, accepted: readonly string[]): boolean {
  const given = Buffer.from(digest);
  // Compare against every accepted digest so the time taken does not tell which one was close.
  let found = false;
  for (const candidate of accepted) {
    const expected = Buffer.from(candidate);
    if (expected.length === given.length && timingSafeEqual(expected, given)) found = true;
  }
  return found;
}

export function checkTenant(options: { readonly tid: string | undefined; readonly authorization: string | undefined; readonly tenants: readonly Tenant[] }): TenantVerdict {
  const tenant = options.tenants.find((candidate) => candidate.tid === options.tid);
  if (!tenant) return { ok: false, status: 400, message: 'Telemetry ID mismatch' };
  if (tenant.tokens.length === 0) return { ok: true, tenant };
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(options.authorization ?? '');
  if (!match || !digestMatches(tokenDigest(match[1] as string), tenant.tokens)) {
    return { ok: false, status: 401, message: TOKEN_REQUIRED_MESSAGE };
  }
  return { ok: true, tenant };
}
