import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validatePolicyValue } from '../../engine/validate/validate.js';

const base = {
  apiVersion: 'telem/v1',
  kind: 'Policy',
  metadata: { name: 'paths' },
  destinations: { central: { type: 'http', url: 'https://collector.example/v3/collector' }, archive: { type: 'file', path: '/var/log/telemetry/a.ndjson' } },
  routes: [{ name: 'default', to: ['central', 'archive'] }],
};

test('paths: every path the agent uses, when relative, is an error "must be an absolute path" with an example', () => {
  const { diagnostics, policy } = validatePolicyValue({
    ...base,
    intake: { socket: 'telem.sock' },
    spool: { dir: 'spool' },
    retention: { journal: './journal', payload_dir: 'records' },
    destinations: {
      central: { type: 'http', url: 'https://collector.example/v3/collector', ca_file: 'ca.pem' },
      archive: { type: 'file', path: '../records.ndjson' },
    },
  });
  assert.equal(policy, null);
  assert.deepEqual(
    diagnostics.map(({ code, severity, path, message, hint }) => ({ code, severity, path: path.join('.'), message, hint })),
    [
      ['intake.socket', 'telem.sock', '/run/telem-0'],
      ['spool.dir', 'spool', '/var/spool/telemetry'],
      ['retention.journal', './journal', '/var/log/telemetry/journal'],
      ['retention.payload_dir', 'records', '/var/log/telemetry/records'],
      ['destinations.central.ca_file', 'ca.pem', '/etc/ssl/certs/ca-certificates.crt'],
      ['destinations.archive.path', '../records.ndjson', '/var/log/telemetry/records.ndjson'],
    ].map(([path, value, example]) => ({
      code: 'relative-path',
      severity: 'error',
      path: path as string,
      message: `${path} "${value}" must be an absolute path: a relative path would resolve against the agent's working directory, outside --root`,
      hint: `start it with "/", such as "${example}"`,
    })),
  );
});

test('paths: absolute paths and a null ca_file (the system store) pass', () => {
  const { diagnostics, policy } = validatePolicyValue({ ...base, intake: { socket: '/run/x.sock' }, spool: { dir: '/srv/spool' } });
  assert.deepEqual(diagnostics, []);
  assert.ok(policy);
});
