/** The registries of diagnostic and error codes list exactly the codes the engine uses, and the README's tables are theirs. */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { renderCodeTables, withCodeTables } from '../../cli/code-tables.js';
import { DIAGNOSTIC_CODES } from '../../engine/diagnostics/codes.js';
import { ERROR_CODES } from '../../engine/errors/codes.js';
import { fromRoot } from '../helpers/paths.js';

async function engineSources(dir = fromRoot('engine')): Promise<string[]> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) texts.push(...(await engineSources(file)));
    else if (entry.name.endsWith('.ts') && !['codes.ts'].includes(entry.name)) texts.push(await readFile(file, 'utf8'));
  }
  return texts;
}

test('code registries: every registered diagnostic and error code is used by the engine (a table of codes nothing emits would mislead)', async () => {
  const sources = (await engineSources()).join('\n');
  const unused = [...Object.keys(DIAGNOSTIC_CODES), ...Object.keys(ERROR_CODES)].filter((code) => !sources.includes(`'${code}'`));
  assert.deepEqual(unused, []);
});

test('code registries: every code has a one-line description ending in a full stop', () => {
  for (const [code, description] of Object.entries({ ...DIAGNOSTIC_CODES, ...ERROR_CODES })) {
    assert.match(description, /^[^\n]+\.$/, code);
  }
});

test('README.md: the tables of codes match a fresh rendering from the registries', async () => {
  const readme = await readFile(fromRoot('README.md'), 'utf8');
  assert.equal(readme, withCodeTables(readme), 'the README code tables differ from the registries: run `npm run generate` and commit the result');
  assert.ok(renderCodeTables().includes('| `unknown-destination` |'));
  assert.ok(renderCodeTables().includes('| `policy-invalid` | 1 |'));
});
