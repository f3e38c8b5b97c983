/** A telemetrics.conf is accepted wherever a policy is (loadPolicySource, checkPolicyFile). */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { looksLikeTelemetricsConf } from '../../engine/legacy/conf-source.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { loadPolicySource } from '../../engine/load/load-policy.js';
import { tempDir } from '../helpers/tmp.js';
import { brief, legacyFixture } from './helpers.js';

test('detection: by the .conf name, or by an INI [settings] line in a file that is not code', () => {
  assert.equal(looksLikeTelemetricsConf('/etc/telemetrics/telemetrics.conf', ''), true);
  assert.equal(looksLikeTelemetricsConf('legacy', '# old\n[settings]\nserver=http://x\n'), true);
  assert.equal(looksLikeTelemetricsConf('telem.policy.yaml', 'apiVersion: telem/v1\nkind: Policy\n'), false);
  assert.equal(looksLikeTelemetricsConf('policy.ts', 'const x =\n[settings]\n'), false);
});

test('loadPolicySource: a telemetrics.conf is translated and its format says so', async () => {
  const loaded = await loadPolicySource({ file: legacyFixture('example.conf') });
  assert.equal(loaded.source?.format, 'telemetrics-conf');
  assert.equal((loaded.source?.value as { kind?: string }).kind, 'Policy');
});

test('checkPolicyFile: an upstream example validates as a policy', async () => {
  const checked = await checkPolicyFile({ file: legacyFixture('example.2.conf') });
  assert.ok(checked.policy);
  assert.equal(checked.policy.spool.dir, '/var/spool/telemetry');
  assert.deepEqual(checked.diagnostics, []);
});

test('checkPolicyFile: translation errors stop validation and keep their file:line', async () => {
  const file = legacyFixture('upstream-traps.conf');
  const checked = await checkPolicyFile({ file });
  assert.equal(checked.policy, null);
  assert.deepEqual(brief(checked.diagnostics), [
    '3 warning legacy-clamped',
    '4 error legacy-window-out-of-range',
    '5 error legacy-negative-expiry',
    '6 error legacy-not-boolean',
    '7 warning legacy-integer-text',
  ]);
  assert.ok(checked.diagnostics.every((diagnostic) => diagnostic.file === file));
});

test('checkPolicyFile: policy findings on a converted conf point at the line of the key behind them', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'telemetrics');
  await writeFile(file, '[settings]\nspool_process_time=300\nserver=http://collector.example/v2/collector\nrecord_expiry=3\n');
  const checked = await checkPolicyFile({ file });
  assert.ok(checked.policy, 'detected by its [settings] line although the name has no .conf');
  assert.deepEqual(
    checked.diagnostics.map((diagnostic) => `${diagnostic.line ?? '-'}:${diagnostic.column ?? '-'} ${diagnostic.code}`),
    // The record window comes from compiled defaults, so that finding has no line to point at.
    ['-:- rate-window-exceeds-expiry', '4:15 expiry-shorter-than-retry'],
  );
  assert.equal(checked.policy.destinations.collector?.type === 'http' && checked.policy.destinations.collector.protocol, 'v2', 'a /v2/ server is spoken to in v2, so no protocol mismatch');
});
