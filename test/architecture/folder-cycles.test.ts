/**
 * No two folders under engine/ import each other, directly or round a longer loop: each folder is
 * a stage or a layer that can be read, tested and changed without the ones above it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { fromRoot } from '../helpers/paths.js';
import { describeCycle, folderCycles, folderGraph, relativeImports, typescriptFiles } from './folder-graph.js';

function engineSources(): Map<string, string> {
  return new Map(typescriptFiles(fromRoot(), 'engine').map((file) => [file, fs.readFileSync(fromRoot(file), 'utf8')]));
}

test('architecture: no cycle between the folders under engine/', () => {
  const sources = engineSources();
  const graph = folderGraph(sources, 'engine');
  assert.ok(graph.size > 10, `only ${graph.size} folders import others: the scan is not reading engine/`);
  const cycles = folderCycles(graph);
  assert.equal(cycles.length, 0, `folders that import each other:\n\n${cycles.map((cycle) => describeCycle(graph, cycle)).join('\n\n')}\n`);
});

test('architecture: the cycle finder reports a cycle through every kind of import, parent and child folders included', () => {
  const files = new Map([
    ['engine/a/one.ts', "import { b } from '../b/two.js';\n"],
    ['engine/b/two.ts', "export {\n  c,\n} from '../c/three.js';\n"],
    ['engine/c/three.ts', "import type { A } from '../a/one.js';\nexport const c = 1;\n"],
    ['engine/d/four.ts', "const lazy = () => import('./sub/five.js');\n"],
    ['engine/d/sub/five.ts', "import '../four.js';\nimport { outside } from '../../../schemas/x.js';\n"],
    ['engine/e/six.ts', "/**\n * import { f } from '../f/seven.js';\n */\nimport { a } from '../a/one.js';\n  // export * from '../f/seven.js'\nconst glob = 'org/*';\n"],
  ]);
  assert.deepEqual(relativeImports(files.get('engine/b/two.ts') as string), ['../c/three.js']);
  assert.deepEqual(relativeImports(files.get('engine/e/six.ts') as string), ['../a/one.js']);
  const graph = folderGraph(files, 'engine');
  assert.deepEqual(folderCycles(graph), [
    ['engine/a', 'engine/b', 'engine/c', 'engine/a'],
    ['engine/d', 'engine/d/sub', 'engine/d'],
  ]);
  assert.match(describeCycle(graph, ['engine/a', 'engine/b', 'engine/c', 'engine/a']), /engine\/c\/three\.ts imports '\.\.\/a\/one\.js'/);
});
