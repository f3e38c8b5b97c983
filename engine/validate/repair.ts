/**
 * Best-effort repair of a policy that failed the schema, so the semantic checks can still run
 * and one `telem validate` reports every problem: bad leaves are removed (their defaults
 * apply), broken destinations are set aside. When a repair would shift what the user wrote
 * (such as removing a route from the list), there is no repair and only schema problems show.
 */
import type { z } from 'zod';
import type { KeyPath } from '../diagnostics/diagnostic.js';
import { flattenUnion } from './schema-issues.js';

type Issue = z.core.$ZodIssue;
type Container = Record<string | number, unknown>;

export interface Repair {
  readonly value: unknown;
  /** Destinations removed because their own definition was broken. */
  readonly brokenDestinations: ReadonlySet<string>;
  /** Paths whose written value was replaced; semantic findings under them are not reported. */
  readonly touched: readonly KeyPath[];
}

const PLACEHOLDERS: Record<string, unknown> = { apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'unnamed' }, 'metadata.name': 'unnamed' };

function containerAt(root: unknown, path: KeyPath): Container | undefined {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Container)[segment];
  }
  return node !== null && typeof node === 'object' ? (node as Container) : undefined;
}

/** Applies one issue to the draft; false when it cannot be repaired without changing meaning. */
function repairIssue(draft: Container, issue: Issue, broken: Set<string>, touched: KeyPath[]): boolean {
  const path = issue.path as (string | number)[];
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const wholeDestination = path.length <= 3 && (missing || path.length === 2 || path[2] === 'type');
  if (path[0] === 'destinations' && typeof path[1] === 'string' && wholeDestination) {
    delete (draft.destinations as Container)[path[1]];
    broken.add(path[1]);
    touched.push(path.slice(0, 2));
    return true;
  }
  if (issue.code === 'unrecognized_keys') {
    const container = containerAt(draft, path);
    for (const key of issue.keys) if (container) delete container[key];
    return true;
  }
  const placeholder = PLACEHOLDERS[path.join('.')];
  const parent = containerAt(draft, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last === undefined || !parent) return false;
  touched.push(path);
  if (placeholder !== undefined) {
    parent[last] = structuredClone(placeholder);
    return true;
  }
  if (missing) return false;
  if (Array.isArray(parent)) return false;
  delete parent[last];
  return true;
}

export function repairPolicy(value: unknown, parse: (draft: unknown) => readonly Issue[]): Repair | null {
  const draft = structuredClone(value) as Container;
  const brokenDestinations = new Set<string>();
  const touched: KeyPath[] = [];
  for (let round = 0; round < 4; round += 1) {
    const issues = parse(draft);
    if (issues.length === 0) return { value: draft, brokenDestinations, touched };
    for (const issue of issues.flatMap(flattenUnion)) if (!repairIssue(draft, issue, brokenDestinations, touched)) return null;
  }
  return null;
}
