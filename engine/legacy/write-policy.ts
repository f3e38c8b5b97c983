/**
 * A translation → policy YAML for people: the schema comment editors use, and beside each
 * setting the telemetrics.conf key(s) it came from, with the value as written or marked as
 * upstream's compiled default.
 */
import { Document, type Node, type Pair, isMap, isScalar, isSeq } from 'yaml';
import type { KeyPath } from '../diagnostics/diagnostic.js';
import { LEGACY_KEYS, LEGACY_KEY_NAMES, type LegacyKey } from './keys.js';
import { type Translation, describeSource } from './translate.js';

export interface PolicyYamlOptions {
  /** Reference to policy.schema.json from where the YAML will live. */
  readonly schemaRef: string;
}

function keyOf(pair: Pair): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

/** The pair holding the value at `path` (the map entry), if the document has it. */
function pairAt(doc: Document, path: KeyPath): Pair | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  return parent.items.find((pair) => keyOf(pair) === String(path.at(-1)));
}

function describeKey(translation: Translation, key: LegacyKey): string {
  const entry = translation.entries.get(key);
  const unit = LEGACY_KEYS[key].unit;
  const value = entry ? entry.value : String(LEGACY_KEYS[key].default);
  const notes = [unit, entry ? undefined : 'compiled default'].filter((note) => note !== undefined);
  return `${key}=${value === '' ? '""' : value}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** The keys behind every policy path the key table names (several keys can share one). */
function keysByPath(): Map<string, { path: KeyPath; keys: LegacyKey[] }> {
  const byPath = new Map<string, { path: KeyPath; keys: LegacyKey[] }>();
  for (const key of LEGACY_KEY_NAMES) {
    for (const path of LEGACY_KEYS[key].policy) {
      const id = JSON.stringify(path);
      const slot = byPath.get(id) ?? { path, keys: [] };
      slot.keys.push(key);
      byPath.set(id, slot);
    }
  }
  return byPath;
}

export function policyYaml(translation: Translation, options: PolicyYamlOptions): string {
  const doc = new Document(translation.value);
  doc.commentBefore = [
    ` yaml-language-server: $schema=${options.schemaRef}`,
    '',
    ` Converted from ${describeSource(translation.file)} by telem convert.`,
    ' Each setting names the telemetrics.conf key it came from; "compiled default" marks keys',
    " the file leaves out (upstream then uses its built-in value, never another file's).",
  ].join('\n');

  const described = new Set<LegacyKey>();
  for (const { path, keys } of keysByPath().values()) {
    const pair = pairAt(doc, path);
    if (!pair) continue;
    // A key deciding several settings shows its value once, then only its name.
    const comment = ` ${keys.map((key) => (described.has(key) ? key : describeKey(translation, key))).join(', ')}`;
    for (const key of keys) described.add(key);
    const value = pair.value as Node | null;
    // A mapping's comment goes after its key; a scalar's or a flow list's after the value.
    if (isMap(value) && isScalar(pair.key)) pair.key.comment = comment;
    else if (value && (isScalar(value) || isSeq(value))) value.comment = comment;
  }

  for (const flow of [
    ['routes', 0, 'match'],
    ['routes', 0, 'to'],
  ] as const) {
    const node = doc.getIn(flow, true);
    if (isMap(node) || isSeq(node)) node.flow = true;
  }
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items.slice(2)) if (isScalar(pair.key)) pair.key.spaceBefore = true;
  }
  return doc.toString({ lineWidth: 0 });
}
