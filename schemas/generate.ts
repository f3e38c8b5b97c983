/** `npm run generate`: rewrites the committed policy.schema.json, policy.d.ts, policy-test.schema.json and rollout.schema.json, and the README's tables of codes. */
import { readFile, writeFile } from 'node:fs/promises';
import { withCodeTables } from '../cli/code-tables.js';
import {
  JSON_SCHEMA_FILE,
  ROLLOUT_JSON_SCHEMA_FILE,
  TEST_JSON_SCHEMA_FILE,
  TYPES_FILE,
  renderJsonSchema,
  renderPolicyTestJsonSchema,
  renderRolloutJsonSchema,
  renderTypes,
} from './artifacts.js';

// Compiled to dist/schemas/; the committed artifacts live in the source schemas/ folder.
const target = new URL('../../schemas/', import.meta.url);

await writeFile(new URL(JSON_SCHEMA_FILE, target), renderJsonSchema());
await writeFile(new URL(TYPES_FILE, target), await renderTypes());
await writeFile(new URL(TEST_JSON_SCHEMA_FILE, target), renderPolicyTestJsonSchema());
await writeFile(new URL(ROLLOUT_JSON_SCHEMA_FILE, target), renderRolloutJsonSchema());
const readme = new URL('../../README.md', import.meta.url);
await writeFile(readme, withCodeTables(await readFile(readme, 'utf8')));
process.stdout.write(`wrote schemas/${JSON_SCHEMA_FILE}, schemas/${TYPES_FILE}, schemas/${TEST_JSON_SCHEMA_FILE}, schemas/${ROLLOUT_JSON_SCHEMA_FILE} and the code tables in README.md\n`);
