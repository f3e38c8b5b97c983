/**
 * Policy files with random damage: validation never throws, every rejection is an error
 * diagnostic with a code and a message, and whatever validates also compiles.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import YAML from 'yaml';
import { compilePolicy } from '../../engine/compile/compile.js';
import type { Diagnostic } from '../../engine/diagnostics/diagnostic.js';
import { formatJson } from '../../engine/diagnostics/format-json.js';
import { formatText } from '../../engine/diagnostics/format-text.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { fromRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { fuzzRuns } from './fuzz-settings.js';

const example = YAML.parse(await readFile(fromRoot('policies', 'examples', 'crashes-two-destinations.policy.yaml'), 'utf8')) as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values a policy author could plausibly get wrong: units, globs, URLs, numbers at the edges, wrong types. */
const suspicious: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.constantFrom('15m', '2h', '1KiB', '20MiB', 'drop', 'spool', 'v2', 'v3', 'http', 'file', 'local', 'org.clearlinux/crash/*', '0666'), weight: 3 },
  fc.constantFrom(
    '15m',
    '0s',
    '-1m',
    '5MiB',
    '0B',
    '1e3KiB',
    'unlimited',
    '100/15m',
    '0/1s',
    '1/0s',
    '*',
    '',
    ' ',
    '**/**',
    'a/b/c/d',
    '../x',
    '/etc/passwd',
    'http://',
    'ftp://x/',
    'https://h/v3/collector',
  ),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.MAX_VALUE, null, true, false, [], {}),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** Replaces, removes or adds the value at a random place in the document. */
function mutate(document: Json, steps: readonly { pick: number; action: number; key: string; value: Json }[]): Json {
  const copy = structuredClone(document);
  for (const step of steps) {
    let node: Json = copy;
    // Walk down a few levels, choosing children by `pick`.
    for (let depth = 0; depth < 4 && node !== null && typeof node === 'object'; depth += 1) {
      const keys = Object.keys(node);
      if (keys.length === 0 || (step.pick >> depth) % 3 === 0) break;
      const key = keys[(step.pick >> (depth * 2)) % keys.length] as string;
      const child: Json = (node as Record<string, Json>)[key] as Json;
      if (child === null || typeof child !== 'object') {
        if (step.action % 3 === 0) delete (node as Record<string, Json>)[key];
        else (node as Record<string, Json>)[key] = step.value;
        node = null;
        break;
      }
      node = child;
    }
    if (node !== null && typeof node === 'object') {
      if (Array.isArray(node)) node.push(step.value);
      else node[step.action % 4 === 0 ? step.key : (Object.keys(node)[step.action % Math.max(1, Object.keys(node).length)] ?? step.key)] = step.value;
    }
  }
  return copy;
}

const mutation = fc.array(
  fc.record({
    pick: fc.nat(),
    action: fc.nat(),
    key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('to', 'match', 'rate_limit', 'type', '__proto__', 'constructor')),
    value: suspicious,
  }),
  { minLength: 1, maxLength: 3 },
);
const damagedPolicy = mutation.map((steps) => mutate(example as Json, steps));

/** Policies built from plausible parts: most validate, so "whatever validates compiles" gets exercised. */
const segment = fc.stringMatching(/^[a-z*?.]{0,6}$/);
const glob = fc.oneof(
  fc.constant('*'),
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
);
const limit = fc.record(
  {
    records: fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.constantFrom('1s', '15m', '1h')).map(([count, window]) => `${count}/${window}`),
    bytes: fc.tuple(fc.constantFrom('1B', '1KiB', '1MiB', '10'), fc.constantFrom('20m', '2h')).map(([size, window]) => `${size}/${window}`),
    when_exceeded: fc.constantFrom('spool', 'drop'),
  },
  { requiredKeys: [] },
);
const route = fc.record(
  {
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    match: fc.record({ classification: glob, min_severity: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: [] }),
    to: fc.subarray(['central', 'archive', 'local'], { minLength: 1 }),
    rate_limit: limit,
  },
  { requiredKeys: ['name', 'to'] },
);
const assembledPolicy: fc.Arbitrary<Json> = fc
  .record({
    routes: fc.array(route, { minLength: 1, maxLength: 6 }),
    spool: fc.record(
      { max_size: fc.constantFrom('1B', '5MiB', 'unlimited', 0, 1024), expiry: fc.constantFrom('3h', '20h', '2d'), durability: fc.constantFrom('fsync', 'batch', 'none') },
      { requiredKeys: [] },
    ),
    collection: fc.record({ allow: fc.array(glob, { maxLength: 3 }), deny: fc.array(glob, { maxLength: 3 }) }, { requiredKeys: [] }),
  })
  .map(
    (parts) =>
      ({
        apiVersion: 'telem/v1',
        kind: 'Policy',
        metadata: { name: 'assembled' },
        destinations: {
          central: { type: 'http', url: 'https://telemetry.example.org/v3/collector' },
          archive: { type: 'file', path: '/var/log/telemetry/a.ndjson' },
          local: { type: 'local' },
        },
        ...parts,
      }) as unknown as Json,
  );

function assertWellFormed(diagnostics: readonly Diagnostic[]): void {
  for (const diagnostic of diagnostics) {
    assert.match(diagnostic.code, /^[a-z][a-z0-9-]*$/, `code of ${JSON.stringify(diagnostic)}`);
    assert.ok(diagnostic.message.trim().length > 0, `a message for ${diagnostic.code}`);
    assert.ok(diagnostic.severity === 'error' || diagnostic.severity === 'warning');
    assert.ok(Array.isArray(diagnostic.path));
  }
  // The CLI renders them; rendering must not be where it breaks.
  formatText(diagnostics);
  JSON.parse(formatJson('policy.yaml', diagnostics));
}

test('policy fuzz: any value through validatePolicyValue gives a policy that compiles or errors with a code and a message', (t) => {
  const codes = new Map<string, number>();
  let valid = 0;
  fc.assert(
    fc.property(fc.oneof(assembledPolicy, damagedPolicy, fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>), (value) => {
      const result = validatePolicyValue(value);
      assertWellFormed(result.diagnostics);
      if (result.policy) valid += 1;
      for (const diagnostic of result.diagnostics) codes.set(diagnostic.code, (codes.get(diagnostic.code) ?? 0) + 1);
      if (result.policy === null) {
        assert.ok(
          result.diagnostics.some((diagnostic) => diagnostic.severity === 'error'),
          'a rejected policy has at least one error',
        );
      } else {
        assert.ok(result.diagnostics.every((diagnostic) => diagnostic.severity !== 'error'));
        compilePolicy(result.policy);
      }
    }),
    fuzzRuns('validatePolicyValue', 600),
  );
  t.diagnostic(`${valid} valid; diagnostics seen: ${[...codes].map(([code, count]) => `${code} ×${count}`).join(', ')}`);
});

test('policy fuzz: damaged YAML and JSON files through checkPolicyFile never throw; diagnostics point inside the file', async (t) => {
  const dir = await tempDir(t);
  const text = fc.oneof(
    damagedPolicy.map((value) => ({ name: 'telem.policy.yaml', text: YAML.stringify(value) })),
    damagedPolicy.map((value) => ({ name: 'telem.policy.json', text: JSON.stringify(value, null, 2) })),
    // Character-level damage to a valid file: cuts, insertions, YAML syntax.
    fc
      .tuple(fc.nat(), fc.nat(), fc.constantFrom('', ':', '- ', '{', '}', '[', '"', "'", '\t', '\n  ', '&a', '*a', '!!binary ', '<<: *a', '\u0000', '\uFEFF', '%YAML 1.1\n---\n', '...\n'))
      .map(([at, cut, insert]) => {
        const original = YAML.stringify(example);
        const start = at % (original.length + 1);
        return { name: 'telem.policy.yaml', text: original.slice(0, start) + insert + original.slice(start + (cut % 20)) };
      }),
  );
  await fc.assert(
    fc.asyncProperty(text, async ({ name, text: contents }) => {
      const file = path.join(dir, name);
      await writeFile(file, contents);
      const checked = await checkPolicyFile({ file });
      assertWellFormed(checked.diagnostics);
      if (checked.policy === null)
        assert.ok(
          checked.diagnostics.some((diagnostic) => diagnostic.severity === 'error'),
          'a rejected file has at least one error',
        );
      else compilePolicy(checked.policy);
      const lines = contents.split('\n').length;
      for (const diagnostic of checked.diagnostics) {
        if (diagnostic.line !== undefined) assert.ok(diagnostic.line >= 1 && diagnostic.line <= lines + 1, `line ${diagnostic.line} of a ${lines}-line file (${diagnostic.code})`);
      }
    }),
    fuzzRuns('checkPolicyFile', 150),
  );
});
