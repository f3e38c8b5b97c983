/**
 * The shape of a resolved policy read back from a bundle. A resolved policy has no schema of its
 * own (the zod schema parses what authors write), so it is compared with the resolved form of the
 * smallest policy: the same sections and settings, each of the same type (or null), and
 * destinations and routes that the floor and the runtime can read. A bundle from a newer telem with
 * settings this one does not know is refused here rather than half applied.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { validatePolicyValue } from '../validate/validate.js';

let reference: ResolvedPolicy | undefined;

function referencePolicy(): ResolvedPolicy {
  reference ??= validatePolicyValue({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'reference' } }).policy as ResolvedPolicy;
  return reference;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys whose values are keyed by name or listed, compared entry by entry below rather than with the reference. */
const ENTRIES = new Set(['destinations', 'routes', 'routeNames']);

function compare(expected: unknown, actual: unknown, where: string): string | undefined {
  if (isObject(expected)) {
    if (!isObject(actual)) return `${where} is not an object`;
    for (const key of Object.keys(actual)) if (!(key in expected) && !(where === '' && ENTRIES.has(key))) return `${where}${key} is a setting this telem does not know`;
    for (const [key, value] of Object.entries(expected)) {
      if (where === '' && ENTRIES.has(key)) continue;
      if (!(key in actual)) return `${where}${key} is missing`;
      const problem = compare(value, actual[key], `${where}${key}.`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (Array.isArray(expected)) return Array.isArray(actual) ? undefined : `${where.slice(0, -1)} is not a list`;
  if (expected === null || actual === null) return undefined;
  return typeof actual === typeof expected ? undefined : `${where.slice(0, -1)} is not a ${typeof expected}`;
}

/** What is wrong with the shape of `value` as a resolved policy, or undefined when nothing is. */
export function resolvedPolicyProblem(value: unknown): string | undefined {
  const problem = compare(referencePolicy(), value, '');
  if (problem !== undefined) return problem;
  const policy = value as Record<string, unknown>;
  if (!isObject(policy.destinations)) return 'destinations is not an object';
  for (const [name, destination] of Object.entries(policy.destinations)) {
    if (!isObject(destination)) return `destinations.${name} is not an object`;
    if (destination.type === 'http' ? typeof destination.url !== 'string' : destination.type === 'file' ? typeof destination.path !== 'string' : destination.type !== 'local') {
      return `destinations.${name} is not an http destination with a url, a file destination with a path, or a local destination`;
    }
  }
  if (!Array.isArray(policy.routes) || !policy.routes.every(isObject)) return 'routes is not a list of routes';
  if (!isObject(policy.routeNames)) return 'routeNames is not an object';
  return undefined;
}
