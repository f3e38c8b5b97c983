import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import {
  JSON_SCHEMA_FILE,
  ROLLOUT_JSON_SCHEMA_FILE,
  TEST_JSON_SCHEMA_FILE,
  TYPES_FILE,
  buildPolicyJsonSchema,
  buildPolicyTestJsonSchema,
  buildRolloutJsonSchema,
  renderJsonSchema,
  renderPolicyTestJsonSchema,
  renderRolloutJsonSchema,
  renderTypes,
} from '../../schemas/artifacts.js';
import { fromRoot } from '../helpers/paths.js';

const regenerate = 'the committed file differs from a fresh generation: run `npm run generate` and commit the result';

test('schemas/policy.schema.json: matches a fresh generation from the zod schema', async () => {
  assert.equal(await readFile(fromRoot('schemas', JSON_SCHEMA_FILE), 'utf8'), renderJsonSchema(), regenerate);
});

test('schemas/policy-test.schema.json: matches a fresh generation from the zod schema', async () => {
  assert.equal(await readFile(fromRoot('schemas', TEST_JSON_SCHEMA_FILE), 'utf8'), renderPolicyTestJsonSchema(), regenerate);
});

test('schemas/rollout.schema.json: matches a fresh generation from the zod schema', async () => {
  assert.equal(await readFile(fromRoot('schemas', ROLLOUT_JSON_SCHEMA_FILE), 'utf8'), renderRolloutJsonSchema(), regenerate);
});

test('schemas/policy.d.ts: matches a fresh generation from the JSON Schema', async () => {
  assert.equal(await readFile(fromRoot('schemas', TYPES_FILE), 'utf8'), await renderTypes(), regenerate);
});

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  required?: string[];
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
}

/** Every property of every object in the schema, with its parent's required list. */
function* properties(node: Node, path: string): Generator<{ path: string; node: Node; required: boolean }> {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const childPath = `${path}.${name}`;
    yield { path: childPath, node: child, required: node.required?.includes(name) ?? false };
    yield* properties(child, childPath);
  }
  for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) yield* properties(branch, path);
  if (node.items) yield* properties(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* properties(node.additionalProperties, `${path}.*`);
}

test('policy JSON Schema: every field has a description and a default unless it is required', () => {
  const missing: string[] = [];
  for (const { path, node, required } of properties(buildPolicyJsonSchema() as Node, '$')) {
    if (!node.description) missing.push(`${path}: no description`);
    // `type` discriminators and the editor-only $schema key need no default.
    const exempt = required || path.endsWith('.type') || path === '$.$schema';
    if (!exempt && !('default' in node)) missing.push(`${path}: no default`);
  }
  assert.deepEqual(missing, []);
});

test('policy JSON Schema: targets draft-07 so the YAML language server can complete policies', () => {
  const schema = buildPolicyJsonSchema();
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema.title, 'TelemPolicy');
});

test('policy test JSON Schema: targets draft-07 and describes every field', () => {
  const schema = buildPolicyTestJsonSchema();
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema.title, 'TelemPolicyTest');
  const undescribed = [...properties(schema as Node, '$')].filter(({ node }) => !node.description).map(({ path }) => path);
  assert.deepEqual(undescribed, []);
});

test('rollout JSON Schema: targets draft-07 and describes every field', () => {
  const schema = buildRolloutJsonSchema();
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema.title, 'TelemRollout');
  const undescribed = [...properties(schema as Node, '$')].filter(({ node }) => !node.description).map(({ path }) => path);
  assert.deepEqual(undescribed, []);
});
