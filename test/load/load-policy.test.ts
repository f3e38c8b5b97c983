import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadPolicySource } from '../../engine/load/load-policy.js';
import { fromRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const minimalYaml = 'apiVersion: telem/v1\nkind: Policy\nmetadata:\n  name: found\n';
const minimal = { apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'found' } };

/** A directory where the project's own package is resolvable, so TS policies can import 'telem'. */
async function projectDir(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'node_modules'));
  await symlink(fromRoot(), path.join(dir, 'node_modules', 'telem'));
  return dir;
}

const searchCases: [string, string][] = [
  ['telem.policy.yaml', minimalYaml],
  ['telem.policy.yml', minimalYaml],
  ['telem.policy.json', JSON.stringify(minimal)],
  ['telem.policy.js', `export default ${JSON.stringify(minimal)};`],
  ['telem.policy.mjs', `export default ${JSON.stringify(minimal)};`],
  ['telem.policy.ts', `import { definePolicy } from 'telem';\nexport default definePolicy({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'found' } });\n`],
  ['.telemrc', minimalYaml],
  ['.telemrc.yaml', minimalYaml],
  ['.telemrc.json', JSON.stringify(minimal)],
  ['package.json', JSON.stringify({ name: 'x', type: 'module', telem: minimal })],
];

for (const [name, content] of searchCases) {
  test(`policy search: finds ${name} in the directory`, async (t) => {
    const dir = await projectDir(t);
    await writeFile(path.join(dir, name), content);
    const { source, diagnostics } = await loadPolicySource({ cwd: dir });
    assert.deepEqual(diagnostics, []);
    assert.equal(source?.file, name);
    assert.deepEqual(source?.value, minimal);
  });
}

test('policy search: telem.policy.yaml wins over .telemrc and package.json', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ telem: { ...minimal, metadata: { name: 'pkg' } } }));
  await writeFile(path.join(dir, '.telemrc'), minimalYaml.replace('found', 'rc'));
  await writeFile(path.join(dir, 'telem.policy.yaml'), minimalYaml);
  const { source } = await loadPolicySource({ cwd: dir });
  assert.equal(source?.file, 'telem.policy.yaml');
});

test('policy search: package.json without a "telem" key is not a policy', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x' }));
  const { source, diagnostics } = await loadPolicySource({ cwd: dir });
  assert.equal(source, null);
  assert.equal(diagnostics[0]?.code, 'policy-not-found');
});

test('policy search: an unparseable telem.policy.yaml is reported, not skipped', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'telem.policy.yaml'), 'apiVersion: telem/v1\nmetadata:\n\tname: x\n');
  await writeFile(path.join(dir, '.telemrc.json'), JSON.stringify(minimal));
  const { source } = await loadPolicySource({ cwd: dir });
  assert.equal(source?.file, 'telem.policy.yaml');
  assert.equal(source?.diagnostics[0]?.code, 'yaml-syntax');
  assert.equal(source?.diagnostics[0]?.line, 3);
  assert.equal(source?.diagnostics[0]?.message, 'YAML: Tabs are not allowed as indentation');
});

test('explicit path: a missing file is an unreadable-file diagnostic naming it', async () => {
  const { source, diagnostics } = await loadPolicySource({ file: 'no/such/policy.yaml' });
  assert.equal(source, null);
  assert.equal(diagnostics[0]?.code, 'file-unreadable');
  assert.equal(diagnostics[0]?.file, 'no/such/policy.yaml');
  assert.match(diagnostics[0]?.message ?? '', /cannot read policy file: no such file/);
});

test('explicit path: an empty file says so', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'empty.yaml'), '\n');
  const { diagnostics } = await loadPolicySource({ file: 'empty.yaml', cwd: dir });
  assert.equal(diagnostics[0]?.code, 'empty-policy');
});

test('explicit path: a module that throws is a load-failed diagnostic with its message', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'bad.policy.mjs'), 'throw new Error("policy server unreachable");\n');
  const { diagnostics } = await loadPolicySource({ file: 'bad.policy.mjs', cwd: dir });
  assert.equal(diagnostics[0]?.code, 'load-failed');
  assert.match(diagnostics[0]?.message ?? '', /policy server unreachable/);
});

test('YAML positions: values and keys are located at their line and column', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'p.yaml'), `${minimalYaml}spool:\n  expiry: soon\nroutes:\n  - name: a\n    to: [x, y]\n`);
  const { source } = await loadPolicySource({ file: 'p.yaml', cwd: dir });
  assert.deepEqual(source?.locate(['spool', 'expiry']), { line: 6, column: 11 });
  assert.deepEqual(source?.locate(['spool', 'expiry'], { key: true }), { line: 6, column: 3 });
  assert.deepEqual(source?.locate(['routes', 0, 'to', 1]), { line: 9, column: 13 });
  // A key that is absent points at its nearest parent.
  assert.deepEqual(source?.locate(['spool', 'dir']), { line: 6, column: 3 });
});

test('JSON positions: a syntax error points at its line', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'p.json'), '{\n  "apiVersion": "telem/v1",\n  "kind": "Policy"\n  "metadata": {}\n}\n');
  const { source } = await loadPolicySource({ file: 'p.json', cwd: dir });
  assert.equal(source?.diagnostics[0]?.code, 'json-syntax');
  assert.equal(source?.diagnostics[0]?.line, 4);
});

test('JSON and YAML: a key written twice is an error at the second one', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'p.yaml'), `${minimalYaml}destinations:\n  a: { type: local }\n  a: { type: local }\n`);
  const { source } = await loadPolicySource({ file: 'p.yaml', cwd: dir });
  assert.equal(source?.diagnostics[0]?.code, 'duplicate-key');
  assert.equal(source?.diagnostics[0]?.line, 7);
});

test('package.json positions: paths are located inside the "telem" key', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'package.json'), `{\n  "name": "x",\n  "telem": {\n    "apiVersion": "telem/v1",\n    "kind": "Policy",\n    "metadata": { "name": "n" }\n  }\n}\n`);
  const { source } = await loadPolicySource({ cwd: dir });
  assert.deepEqual(source?.locate(['kind']), { line: 5, column: 13 });
});

test('JSON policies: a duplicate key is an error at its line; keys repeated in different objects, escaped quotes and keys inside strings are not duplicates', async (t) => {
  const dir = await tempDir(t);
  const policy = {
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'n' },
    destinations: { a: { type: 'local' }, 'b"\\"': { type: 'local' } },
    routes: [
      { name: 'one', to: ['a'] },
      { name: 'two "name": x', to: ['b"\\"'], continue: false },
    ],
  };
  await writeFile(path.join(dir, 'ok.json'), JSON.stringify(policy, null, 2));
  const ok = await loadPolicySource({ file: 'ok.json', cwd: dir });
  assert.deepEqual(ok.source?.diagnostics, []);
  assert.deepEqual(ok.source?.locate(['routes', 1, 'name']), { line: 23, column: 15 }, 'positions are still found when asked for');

  const text = JSON.stringify(policy, null, 2).replace('"kind": "Policy",', '"kind": "Policy",\n  "routes": [],');
  await writeFile(path.join(dir, 'twice.json'), text);
  const twice = await loadPolicySource({ file: 'twice.json', cwd: dir });
  assert.equal(twice.source?.diagnostics[0]?.code, 'duplicate-key');
  assert.equal(twice.source?.diagnostics.length, 1);
});
