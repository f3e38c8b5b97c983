/** `npm run generate`: rewrites the committed policy.schema.json and policy.d.ts. */
import { writeFile } from 'node:fs/promises';
import { JSON_SCHEMA_FILE, TYPES_FILE, renderJsonSchema, renderTypes } from './artifacts.js';

// Compiled to dist/schemas/; the committed artifacts live in the source schemas/ folder.
const target = new URL('../../schemas/', import.meta.url);

await writeFile(new URL(JSON_SCHEMA_FILE, target), renderJsonSchema());
await writeFile(new URL(TYPES_FILE, target), await renderTypes());
process.stdout.write(`wrote schemas/${JSON_SCHEMA_FILE} and schemas/${TYPES_FILE}\n`);
