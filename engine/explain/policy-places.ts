/**
 * Where a rule of a policy is written: "policy.yaml:14" for a key path such as
 * ['collection', 'allow', 0], found by the same locator that places validation diagnostics.
 * A setting the file does not write is a default, and is said to be one.
 */
import type { KeyPath } from '../diagnostics/diagnostic.js';
import { loadPolicySource } from '../load/load-policy.js';
import type { PolicySource } from '../source/policy-source.js';

export interface PolicyPlaces {
  /** "file:line" of the value at `path` (the file alone for a JS or TS policy), or null when the file does not write it (a default). */
  place(path: KeyPath): string | null;
}

function written(value: unknown, path: KeyPath): boolean {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return false;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return true;
}

export function placesOf(source: PolicySource | null): PolicyPlaces {
  return {
    place(path) {
      if (source === null || !written(source.value, path)) return null;
      // JavaScript and TypeScript policies are values, not text with positions: name the file alone.
      const position = source.format === 'js' || source.format === 'ts' ? undefined : source.locate(path);
      return position ? `${source.file}:${position.line}` : source.file;
    },
  };
}

/** Positions of the policy file a command loaded (read again: validation keeps only the resolved value). */
export async function loadPolicyPlaces(file: string | null): Promise<PolicyPlaces> {
  if (file === null) return placesOf(null);
  const loaded = await loadPolicySource({ file });
  return placesOf(loaded.source);
}
