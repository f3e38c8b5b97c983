/** telem validate runs the agent's compile step, and --environment checks this machine; both as a user runs them. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { compileCheck } from '../../engine/validate/compile-check.js';
import { checkEnvironment } from '../../engine/validate/environment.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { oneRoutePolicy, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const POLICY = {
  apiVersion: 'telem/v1',
  kind: 'Policy',
  metadata: { name: 'env' },
  retention: { keep_payloads: 5 },
  destinations: {
    central: { type: 'http', url: 'https://telem-test.invalid/v3/collector', ca_file: '/etc/telem/ca.pem' },
    near: { type: 'http', url: 'http://localhost:8080/v3/collector' },
    archive: { type: 'file', path: '/srv/archive/records.ndjson' },
  },
  routes: [{ name: 'all', to: ['central', 'near', 'archive'] }],
};

test('validate --environment: directories that cannot be created, an unreadable CA file, a host that does not resolve and an unwritable file destination are warnings on their settings', async (t) => {
  const root = await tempDir(t);
  const { policy } = validatePolicyValue(POLICY);
  assert.ok(policy);
  // A file where the agent needs directories: /var (spool, journal) and /srv.
  await writeFile(path.join(root, 'var'), 'not a directory');
  await writeFile(path.join(root, 'srv'), 'not a directory');
  const found = await checkEnvironment(policy, { root });
  const brief = found.map((d) => `${d.severity} ${d.code} ${d.path.join('.')}`).sort();
  assert.deepEqual(brief, [
    'warning environment-ca-file destinations.central.ca_file',
    'warning environment-dir retention.journal',
    'warning environment-dir retention.payload_dir',
    'warning environment-dir spool.dir',
    'warning environment-file-destination destinations.archive.path',
    'warning environment-unresolvable destinations.central.url',
  ]);
  assert.match(found.find((d) => d.path.join('.') === 'spool.dir')?.message ?? '', /cannot write the spool here: .*\/var is not a directory/);

  // Set up as the agent needs it: nothing to say but the unresolvable host.
  const ready = await tempDir(t);
  await mkdir(path.join(ready, 'etc/telem'), { recursive: true });
  await writeFile(path.join(ready, 'etc/telem/ca.pem'), 'ca');
  assert.deepEqual(
    (await checkEnvironment(policy, { root: ready })).map((d) => d.code),
    ['environment-unresolvable'],
  );
});

test('telem validate --environment: warnings keep exit 0; without the flag the machine is not looked at', async (t) => {
  const root = await tempDir(t);
  await writeFile(path.join(root, 'var'), 'not a directory');
  const file = await writePolicy(root, oneRoutePolicy({ name: 'env', destination: '{ type: local }' }));
  const checked = await runCli(['--root', root, 'validate', '--environment', file]);
  assert.equal(checked.code, 0, checked.stderr);
  assert.match(checked.stdout, /warning {2}the agent cannot write the spool here: .*spool\.dir +\(environment-dir\)/);
  const plain = await runCli(['--root', root, 'validate', file]);
  assert.doesNotMatch(plain.stdout, /environment-dir/);
});

test("validation runs the agent's compile step: a resolved policy the router cannot compile is an error, a valid one passes", () => {
  const { policy } = validatePolicyValue(POLICY);
  assert.ok(policy);
  assert.deepEqual(compileCheck(policy), []);
  // Past the schema and the checks (as a hand-built policy could get): the router refuses a pattern that could backtrack without end.
  const broken = { ...policy, collection: { ...policy.collection, redact: [{ pattern: '(a+)+\\1$', replace: 'x' }] } };
  const found = compileCheck(broken);
  assert.deepEqual(
    found.map((d) => d.code),
    ['compile-failed'],
  );
  assert.match(found[0]?.message ?? '', /^the agent could not compile this policy: redaction pattern .* cannot run safely/);
});
