/** A policy with every kind of destination and limit, written beside the test files that exercise it. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export const FIXTURE_POLICY = `apiVersion: telem/v1
kind: Policy
metadata: { name: fixture, revision: 7 }
collection:
  allow: ["org.example/*"]
  deny: ["org.example/secret/*"]
  min_severity: 2
  max_payload: 64
  redact:
    - { pattern: 'token=\\w+', replace: "token=<redacted>" }
spool: { expiry: 1h }
destinations:
  v3: { type: http, protocol: v3, url: "https://collector.example/v3/collector" }
  v2: { type: http, protocol: v2, url: "https://legacy.example/v2/collector", tid: tenant-7 }
  archive: { type: file, path: /var/log/telemetry/archive.ndjson }
  local: { type: local }
routes:
  - name: crashes
    match: { classification: "org.example/crash/*" }
    to: [v3, archive]
    rate_limit: { records: 3/1m, when_exceeded: spool }
    continue: true
  - name: legacy
    match: { classification: "org.example/crash/*" }
    to: [v2]
    rate_limit: { records: 2/1m, when_exceeded: drop }
  - name: slow
    match: { classification: "org.example/slow/*" }
    to: [archive]
    rate_limit: { records: 1/2h, when_exceeded: spool }
  - name: metrics
    match: { classification: "org.example/metrics/*" }
    to: [local]
`;

/** Writes the fixture policy and a test file (YAML text) into dir; returns the test file's path. */
export async function writeFixture(dir: string, testYaml: string, name = 'fixture.policy-test.yaml'): Promise<string> {
  await writeFile(path.join(dir, 'fixture.policy.yaml'), FIXTURE_POLICY);
  const file = path.join(dir, name);
  await writeFile(file, testYaml);
  return file;
}
