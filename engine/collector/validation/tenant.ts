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

/** The index of `digest` among the accepted digests, or -1; every one is compared, so the time taken does not tell which one was close. */
export function digestIndex(digest: string, accepted: readonly string[]): number {
  const given = Buffer.from(digest);
  let found = -1;
  accepted.forEach((candidate, index) => {
    const expected = Buffer.from(candidate);
    if (expected.length === given.length && timingSafeEqual(expected, given) && found < 0) found = index;
  });
  return found;
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1] ?? null;
}

export function checkTenant(options: { readonly tid: string | undefined; readonly authorization: string | undefined; readonly tenants: readonly Tenant[] }): TenantVerdict {
  const tenant = options.tenants.find((candidate) => candidate.tid === options.tid);
  if (!tenant) return { ok: false, status: 400, message: 'Telemetry ID mismatch' };
  if (tenant.tokens.length === 0) return { ok: true, tenant };
  const token = bearerToken(options.authorization);
  if (token === null || digestIndex(tokenDigest(token), tenant.tokens) < 0) {
    return { ok: false, status: 401, message: TOKEN_REQUIRED_MESSAGE };
  }
  return { ok: true, tenant };
}
