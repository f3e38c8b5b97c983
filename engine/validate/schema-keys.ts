/** The keys the policy JSON Schema allows at a path, for "did you mean" on unknown keys. */
import { buildPolicyJsonSchema } from '../../schemas/artifacts.js';
import type { KeyPath } from '../diagnostics/diagnostic.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  const?: unknown;
  propertyNames?: { enum?: unknown[] };
}

let root: SchemaNode | undefined;

function branches(node: SchemaNode): SchemaNode[] {
  const options = node.anyOf ?? node.oneOf;
  return options ? options.flatMap(branches) : [node];
}

/** Picks the union branch that fits the document value (by its `type` discriminator, else the first object branch). */
function pickBranch(node: SchemaNode, value: unknown): SchemaNode {
  const candidates = branches(node).filter((branch) => branch.properties);
  const discriminator = (value as { type?: unknown } | null)?.type;
  return candidates.find((branch) => branch.properties?.type?.const === discriminator) ?? candidates[0] ?? node;
}

/** `schema` defaults to the policy's; `telem test` passes the test file's. */
export function knownKeysAt(path: KeyPath, document: unknown, schema?: object): string[] {
  root ??= buildPolicyJsonSchema() as SchemaNode;
  let node: SchemaNode = (schema as SchemaNode | undefined) ?? root;
  let value = document;
  for (const segment of path) {
    node = pickBranch(node, value);
    const next = typeof segment === 'number' ? node.items : (node.properties?.[segment] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined));
    if (!next) return [];
    node = next;
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
  }
  const picked = pickBranch(node, value);
  // A mapping keyed by an enum (record header names in test files) lists its keys as propertyNames.
  return picked.properties ? Object.keys(picked.properties) : (picked.propertyNames?.enum ?? []).map(String);
}
