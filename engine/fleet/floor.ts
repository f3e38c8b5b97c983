/**
 * The local floor: the policy on the machine bounds what a bundle may do. A bundle may require
 * opt-in where the local policy does not, never lift it; it may only send to destinations
 * fleet.allowed_destinations allows (by default the local policy's own: their URLs, and the
 * directories of their files); and fleet.source, channel, trusted_keys, allowed_destinations,
 * poll_interval and control come only from the local policy (a bundle's values are ignored, with a warning).
 */
import path from 'node:path';
import { fleetSchema } from '../../schemas/fleet.js';
import type { ResolvedDestination, ResolvedPolicy } from '../../schemas/resolved.js';
import { type Diagnostic, formatKeyPath } from '../diagnostics/diagnostic.js';
import { TelemError } from '../errors/telem-error.js';
import { canonicalJson } from '../hash/canonical-json.js';

/** The fleet settings only the local policy sets. */
export const LOCAL_FLEET_SETTINGS = ['source', 'channel', 'trusted_keys', 'allowed_destinations', 'poll_interval', 'control'] as const;

export interface AllowedDestinations {
  /** http(s) URL prefixes. */
  readonly urls: readonly URL[];
  /** Absolute directories file destinations may write under. */
  readonly dirs: readonly string[];
}

/** What the local policy allows a bundle to send to. */
export function allowedDestinations(local: ResolvedPolicy): AllowedDestinations {
  const entries: string[] = [];
  if (local.fleet.allowed_destinations !== null) entries.push(...local.fleet.allowed_destinations);
  else {
    for (const destination of Object.values(local.destinations)) {
      if (destination.type === 'http') entries.push(destination.url);
      else if (destination.type === 'file') entries.push(path.dirname(path.resolve('/', destination.path)));
    }
  }
  const urls: URL[] = [];
  const dirs: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('/')) dirs.push(path.resolve(entry));
    else if (URL.canParse(entry)) urls.push(new URL(entry));
  }
  return { urls, dirs };
}

/**
 * Whether `url` is at or below `prefix`: the same scheme, host and port, and a path equal to the
 * prefix's or below it on a "/" boundary (so https://c.example/v3 does not allow
 * https://c.example/v3-evil, nor https://c.example.evil/). A prefix with a query allows only itself.
 */
export function urlWithin(url: string, prefix: URL): boolean {
  if (!URL.canParse(url)) return false;
  const target = new URL(url);
  if (target.origin !== prefix.origin || target.username !== prefix.username || target.password !== prefix.password) return false;
  if (prefix.search !== '' || prefix.hash !== '') return target.href === prefix.href;
  if (target.pathname === prefix.pathname) return true;
  const base = prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`;
  return target.pathname.startsWith(base);
}

/** Whether the absolute file `file` is inside directory `dir` (after resolving "." and ".."). */
export function fileWithin(file: string, dir: string): boolean {
  const resolved = path.resolve('/', file);
  const base = dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`;
  return resolved.startsWith(base);
}

function destinationAllowed(destination: ResolvedDestination, allowed: AllowedDestinations): boolean {
  switch (destination.type) {
    case 'local':
      return true;
    case 'http':
      return allowed.urls.some((prefix) => urlWithin(destination.url, prefix));
    case 'file':
      return allowed.dirs.some((dir) => fileWithin(destination.path, dir));
  }
}

function describeAllowed(allowed: AllowedDestinations, local: ResolvedPolicy): string {
  const all = [...allowed.urls.map((url) => url.href), ...allowed.dirs.map((dir) => `${dir}/`)];
  const what = local.fleet.allowed_destinations === null ? "the local policy's own destinations" : 'fleet.allowed_destinations';
  return all.length === 0 ? `${what} allow none` : `${what}: ${all.join(', ')}`;
}

/**
 * What in `bundle` crosses the floor `local` sets: errors (the bundle must be refused) for lifted
 * opt-in and destinations outside the allowed ones, warnings for local-only fleet settings the
 * bundle sets to something other than the local value and the default (they are ignored; see
 * withLocalFleetSettings).
 */
export function checkFloor(local: ResolvedPolicy, bundle: ResolvedPolicy): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (local.consent.require_opt_in && !bundle.consent.require_opt_in) {
    diagnostics.push({
      code: 'floor-consent',
      severity: 'error',
      message: 'the bundle sets consent.require_opt_in to false, but the local policy requires opt-in: a bundle may require opt-in, never lift it',
      path: ['consent', 'require_opt_in'],
      hint: 'set consent.require_opt_in: false in the local policy first if this machine should collect without opt-in',
    });
  }
  const allowed = allowedDestinations(local);
  for (const [name, destination] of Object.entries(bundle.destinations)) {
    if (destinationAllowed(destination, allowed)) continue;
    const field = destination.type === 'http' ? 'url' : 'path';
    const target = destination.type === 'http' ? destination.url : destination.type === 'file' ? destination.path : '';
    diagnostics.push({
      code: 'floor-destination',
      severity: 'error',
      message: `the bundle's destination "${name}" sends to ${target}, outside what the local policy allows (${describeAllowed(allowed, local)})`,
      path: ['destinations', name, field],
      hint: 'add it to fleet.allowed_destinations in the local policy if records may go there',
    });
  }
  const defaults = fleetSchema.parse(undefined);
  for (const key of LOCAL_FLEET_SETTINGS) {
    // A bundle built from a policy that leaves a setting at its default says nothing about it.
    const value = canonicalJson(bundle.fleet[key]);
    if (value === canonicalJson(local.fleet[key]) || value === canonicalJson(defaults[key])) continue;
    diagnostics.push({
      code: 'floor-local-setting',
      severity: 'warning',
      message: `the bundle sets fleet.${key}, which only the local policy sets: the local value is kept`,
      path: ['fleet', key],
    });
  }
  return diagnostics;
}

/** The bundle's policy with the local-only fleet settings taken from the local policy (what an agent applies). */
export function withLocalFleetSettings(local: ResolvedPolicy, bundle: ResolvedPolicy): ResolvedPolicy {
  const fleet = { ...bundle.fleet };
  for (const key of LOCAL_FLEET_SETTINGS) Object.assign(fleet, { [key]: local.fleet[key] });
  return Object.freeze({ ...bundle, fleet: Object.freeze(fleet) });
}

/**
 * The policy an agent would apply from a verified bundle: refused with a bundle-floor TelemError
 * (its diagnostics name each field) when the bundle crosses the floor; otherwise the bundle's
 * policy with the local-only fleet settings, and the warnings about those.
 */
export function enforceFloor(local: ResolvedPolicy, bundle: ResolvedPolicy): { policy: ResolvedPolicy; warnings: Diagnostic[] } {
  const diagnostics = checkFloor(local, bundle);
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  if (errors.length > 0) {
    throw new TelemError('bundle-floor', `the bundle crosses the local policy's floor at ${errors.map((diagnostic) => formatKeyPath(diagnostic.path)).join(', ')}`, { diagnostics: errors });
  }
  return { policy: withLocalFleetSettings(local, bundle), warnings: diagnostics.filter((diagnostic) => diagnostic.severity === 'warning') };
}
