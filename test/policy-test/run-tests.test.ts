/** Running policy tests: each kind of input and expectation, against a real policy file, with the agent's own router and limits. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runPolicyTests, runTestFile, testExitStatus } from '../../engine/policy-test/run-tests.js';
import { buildRecord } from '../../engine/record/build.js';
import { encodeFrame } from '../../engine/record/frame.js';
import { TEST_HOST } from '../../engine/policy-test/test-records.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFixture } from './fixture.js';

const header = 'policy: ./fixture.policy.yaml\ntests:\n';

test("policy tests: outcomes of collection, redaction and routing are the router's", async (t) => {
  const file = await writeFixture(
    await tempDir(t),
    `${header}
  - name: a crash takes both crash routes, redacted
    record: { classification: org.example/crash/app, severity: 3, payload: "token=abc123 failed" }
    expect: { routes: [crashes, legacy], destinations: [v3, archive, v2], outcome: delivered, payload: "token=<redacted> failed" }
  - name: rejections
    records:
      - { classification: org.example/secret/x, severity: 4 }
    expect: { outcome: rejected:denied, routes: [], destinations: [] }
  - name: below min severity
    record: { classification: org.example/crash/app, severity: 1 }
    expect: { outcome: rejected:below_min_severity }
  - name: payload too large
    record: { classification: org.example/crash/app, severity: 2, payload: "${'x'.repeat(65)}" }
    expect: { outcome: rejected:payload_too_large }
  - name: not allowed
    record: { classification: com.other/crash/app, severity: 2 }
    expect: { outcome: rejected:not_allowed }
  - name: no route
    record: { classification: org.example/boot/time, severity: 2 }
    expect: { outcome: dropped:no_route, payload: "" }
`,
  );
  const result = await runTestFile(file);
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.policy, { file: path.join(path.dirname(file), 'fixture.policy.yaml'), name: 'fixture', revision: 7 });
  assert.deepEqual(
    result.cases.map(({ name, passed, failures }) => ({ name, passed, failures })),
    result.cases.map(({ name }) => ({ name, passed: true, failures: [] })),
  );
});

test('policy tests: spooled records past the rate limit are deferred, dropped ones rate_limited, and counts add up per record', async (t) => {
  const file = await writeFixture(
    await tempDir(t),
    `${header}
  - name: four crashes in a second
    records: { count: 4, classification: org.example/crash/app, severity: 2, every: 100ms }
    expect:
      first: { outcome: delivered }
      counts: { delivered: 3, "deferred": 1, "dropped:rate_limited": 2 }
  - name: routes that end differently give no single outcome
    records: { count: 5, classification: org.example/crash/app, severity: 2, every: 0s }
    expect: { last: { outcome: "dropped:rate_limited" } }
  - name: a record waiting longer than the spool expiry is dropped as expired
    records: { count: 2, classification: org.example/slow/x, severity: 2 }
    expect: { first: { outcome: delivered }, last: { outcome: dropped:expired }, counts: { delivered: 1, dropped:expired: 1, deferred: 0 } }
  - name: counts are exact, an outcome left out means none
    records: { count: 4, classification: org.example/crash/app, severity: 2, every: 100ms }
    expect: { counts: { delivered: 3, deferred: 1, dropped:expired: 0 } }
  - name: every record-level expectation holds for each record
    records: { count: 4, classification: org.example/crash/app, severity: 2, every: 1s }
    expect: { outcome: delivered, routes: [crashes, legacy] }
`,
  );
  const result = await runTestFile(file);
  assert.deepEqual(result.diagnostics, []);
  // Record 3 is delivered by the crashes route and dropped by the legacy one, so it counts under both.
  assert.deepEqual(result.cases[0]?.failures, []);
  assert.deepEqual(result.cases[2]?.failures, []);
  assert.deepEqual(result.cases[3]?.failures, [
    { path: 'counts', expected: { delivered: 3, deferred: 1, 'dropped:expired': 0 }, actual: { delivered: 3, deferred: 1, 'dropped:rate_limited': 2 } },
  ]);
  assert.deepEqual(result.cases[4]?.failures, [
    { path: 'outcome', expected: 'delivered', actual: 'delivered (crashes → v3), delivered (crashes → archive), dropped:rate_limited (legacy → v2)', record: 3, failing: 2, of: 4 },
  ]);
  assert.equal(result.cases[1]?.passed, false);
  assert.deepEqual(result.cases[1]?.failures, [
    {
      path: 'last.outcome',
      expected: 'dropped:rate_limited',
      actual: 'deferred (crashes → v3), deferred (crashes → archive), dropped:rate_limited (legacy → v2)',
    },
  ]);
});

test('policy tests: the exact v3 body (as text or fields) and v2 headers per destination', async (t) => {
  const dir = await tempDir(t);
  const body =
    '{"record_format_version":"4","classification":"org.example/crash/app","severity":"2","machine_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",' +
    '"creation_timestamp":"1767225660","arch":"x86_64","host_type":"telem-test","build":"1","kernel_version":"6.0.0","payload_format_version":"1",' +
    '"system_name":"telem-test","board_name":"telem-test","cpu_model":"telem-test","bios_version":"telem-test","event_id":"00000000000000000000000000000001","payload":"token=<redacted>"}';
  const file = await writeFixture(
    dir,
    `policy: ./fixture.policy.yaml
headers: { machine_id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa }
tests:
  - name: bodies and headers
    record: { classification: org.example/crash/app, severity: 2, payload: "token=s3cret", at: 1m }
    expect:
      body:
        v3: '${body}'
        archive: { classification: org.example/crash/app, payload: "token=<redacted>" }
      headers:
        v2: { classification: org.example/crash/app, X-Telemetry-TID: tenant-7, content-type: application/text, machine_id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa }
  - name: a wrong header value, a header never sent, and a destination the record does not reach
    records: { count: 3, classification: org.example/crash/app, severity: 2, every: 0s }
    expect:
      last: { headers: { v2: { severity: "3", X-Missing: x } } }
      first: { headers: { v2: { severity: "3", x-telemetry-tid: tenant-7 } } }
`,
  );
  const result = await runTestFile(file);
  assert.deepEqual(result.diagnostics, []);
  const failures = result.cases[0]?.failures ?? [];
  // The archive mapping lists two of the seventeen fields: the body is exact, so it fails with every field in `actual`.
  assert.deepEqual(
    failures.map((failure) => failure.path),
    ['body'],
  );
  const actual = failures[0]?.actual as { v3: string; archive: Record<string, string> };
  assert.equal(actual.v3, body);
  assert.deepEqual(actual.archive, JSON.parse(body));
  // The legacy route takes two records a minute and drops the rest: the third never reaches v2.
  assert.deepEqual(result.cases[1]?.failures, [
    { path: 'first.headers', expected: { v2: { severity: '3', 'x-telemetry-tid': 'tenant-7' } }, actual: { v2: { severity: '2', 'x-telemetry-tid': 'tenant-7' } } },
    { path: 'last.headers', expected: { v2: { severity: '3', 'X-Missing': 'x' } }, actual: { v2: null } },
  ]);
});

test('policy tests: a raw libtelemetry frame file is decoded as the intake does and stamped with the test machine id', async (t) => {
  const dir = await tempDir(t);
  const record = buildRecord({
    classification: 'org.example/crash/frame',
    severity: 4,
    payloadVersion: 2,
    host: TEST_HOST,
    payload: Buffer.from('token=zzz'),
    eventId: 'f'.repeat(32),
    createdAt: new Date(Date.UTC(2026, 5, 1)),
  });
  await writeFile(path.join(dir, 'crash.bin'), encodeFrame(record, { configPath: '/etc/x.conf' }));
  await writeFile(path.join(dir, 'garbage.bin'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const file = await writeFixture(
    dir,
    `${header}
  - name: the frame
    frame: ./crash.bin
    expect:
      outcome: delivered
      body: { v3: { record_format_version: "4", classification: org.example/crash/frame, severity: "4", machine_id: 0123456789abcdef0123456789abcdef,
        creation_timestamp: "1780272000", arch: x86_64, host_type: telem-test, build: "1", kernel_version: 6.0.0, payload_format_version: "2",
        system_name: telem-test, board_name: telem-test, cpu_model: telem-test, bios_version: telem-test, event_id: ffffffffffffffffffffffffffffffff,
        payload: "token=<redacted>" } }
`,
  );
  const result = await runTestFile(file);
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.cases[0]?.failures, []);

  const broken = await writeFixture(
    dir,
    `${header}  - { name: bad frame, frame: ./garbage.bin, expect: {} }\n  - { name: no frame, frame: ./missing.bin, expect: {} }\n`,
    'broken.policy-test.yaml',
  );
  const brokenResult = await runTestFile(broken);
  assert.deepEqual(
    brokenResult.diagnostics.map(({ code, line }) => ({ code, line })),
    [
      { code: 'test-frame-invalid', line: 3 },
      { code: 'test-frame-unreadable', line: 4 },
    ],
  );
  assert.match(brokenResult.diagnostics[0]?.message ?? '', /intake would refuse .*garbage\.bin \(size_out_of_range/);
});

test('policy tests: broken files are diagnostics at file:line, and a run with one exits 2', async (t) => {
  const dir = await tempDir(t);
  const file = await writeFixture(
    dir,
    `${header}
  - name: typo
    record: { classification: org.example/crash/app, severty: 2 }
    expect: { outcome: delivered }
  - name: two inputs
    record: { classification: org.example/crash/app }
    frame: x.bin
    expect: { outcome: delivered }
  - name: wrong outcome word
    record: { classification: org.example/crash/app }
    expect: { outcome: dropped }
`,
  );
  const result = await runTestFile(file);
  assert.deepEqual(result.cases, []);
  assert.deepEqual(
    result.diagnostics.map(({ code, line, message }) => ({ code, line, message: message.slice(0, 30) })),
    [
      { code: 'schema-unknown-key', line: 5, message: 'unknown key "severty" (did you' },
      { code: 'schema-invalid-value', line: 7, message: 'give exactly one of record, re' },
      { code: 'schema-invalid-value', line: 13, message: 'expected "delivered" or "defer' },
    ],
  );
  assert.ok(result.diagnostics.every((diagnostic) => diagnostic.file === file));
  const run = await runPolicyTests([dir]);
  assert.equal(testExitStatus(run), 2);
  assert.deepEqual(run.summary, { files: 1, cases: 0, passed: 0, failed: 0, broken: 1 });
});

test('policy tests: wire expectations must name a destination that sends that form', async (t) => {
  const file = await writeFixture(
    await tempDir(t),
    `${header}
  - name: wrong destinations
    record: { classification: org.example/crash/app, severity: 2 }
    expect:
      body: { local: "{}", v2: "{}", nowhere: "{}" }
      last: { headers: { v3: { a: b } } }
`,
  );
  const result = await runTestFile(file);
  assert.deepEqual(
    result.diagnostics.map(({ code, path: keyPath }) => ({ code, path: keyPath.join('.') })),
    [
      { code: 'test-no-body', path: 'tests.0.expect.body.local' },
      { code: 'test-no-body', path: 'tests.0.expect.body.v2' },
      { code: 'test-unknown-destination', path: 'tests.0.expect.body.nowhere' },
      { code: 'test-no-v2-headers', path: 'tests.0.expect.last.headers.v3' },
    ],
  );
});

test("policy tests: a missing or invalid policy breaks the file, with the policy's own diagnostics", async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'bad.policy.yaml'), 'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: bad }\nroutes:\n  - { name: r, to: [nowhere] }\n');
  const missing = await writeFixture(dir, 'policy: ./absent.policy.yaml\ntests:\n  - { name: x, record: { classification: a/b/c }, expect: {} }\n', 'missing.policy-test.yaml');
  const invalid = await writeFixture(dir, 'policy: ./bad.policy.yaml\ntests:\n  - { name: x, record: { classification: a/b/c }, expect: {} }\n', 'invalid.policy-test.yaml');
  assert.deepEqual(
    (await runTestFile(missing)).diagnostics.map(({ code, line }) => ({ code, line })),
    [{ code: 'test-policy-unreadable', line: 1 }],
  );
  const invalidResult = await runTestFile(invalid);
  assert.deepEqual(
    invalidResult.diagnostics.map(({ code, file, line }) => ({ code, file: path.basename(file ?? ''), line })),
    [
      { code: 'test-policy-invalid', file: 'invalid.policy-test.yaml', line: 1 },
      { code: 'unknown-destination', file: 'bad.policy.yaml', line: 5 },
    ],
  );
});

test('policy tests: folders are searched recursively (node_modules and hidden folders skipped); a path without tests breaks the run', async (t) => {
  const dir = await tempDir(t);
  const passing = `policy: ../fixture.policy.yaml\ntests:\n  - { name: ok, record: { classification: org.example/metrics/cpu, severity: 2 }, expect: { outcome: delivered, destinations: [local] } }\n`;
  const { mkdir } = await import('node:fs/promises');
  for (const sub of ['a', 'node_modules', '.hidden']) {
    await mkdir(path.join(dir, sub));
    await writeFile(path.join(dir, sub, 'x.policy-test.yaml'), passing);
  }
  await writeFixture(dir, '');
  // The fixture's own test file is empty: broken, at line 1.
  const run = await runPolicyTests([dir]);
  assert.deepEqual(
    run.files.map((file) => path.relative(dir, file.file)),
    ['a/x.policy-test.yaml', 'fixture.policy-test.yaml'],
  );
  assert.equal(run.files[0]?.cases[0]?.passed, true);
  assert.equal(run.files[1]?.diagnostics[0]?.code, 'schema-invalid-type');
  assert.equal(testExitStatus(run), 2);
  const only = await runPolicyTests([path.join(dir, 'a')]);
  assert.equal(testExitStatus(only), 0);
  const none = await runPolicyTests([path.join(dir, 'a'), path.join(dir, 'node_modules', 'nothing-here'), path.join(dir, 'a', 'x.policy-test.yaml')]);
  // In the order given, each file once.
  assert.deepEqual(
    none.files.map((file) => [path.relative(dir, file.file), file.diagnostics[0]?.code ?? 'ran']),
    [
      ['a/x.policy-test.yaml', 'ran'],
      ['node_modules/nothing-here', 'test-file-not-found'],
    ],
  );
  assert.equal(testExitStatus(none), 2);
});

test('policy tests: keys of enum-keyed mappings (header names, outcomes) get "did you mean" too', async (t) => {
  const file = await writeFixture(
    await tempDir(t),
    'policy: ./fixture.policy.yaml\nheaders: { machineid: x }\ntests:\n  - { name: x, record: { classification: a/b/c }, expect: { counts: { delivred: 1 } } }\n',
  );
  const { diagnostics } = await runTestFile(file);
  assert.deepEqual(
    diagnostics.map(({ message, line }) => ({ message, line })),
    [
      { message: 'unknown key "machineid" (did you mean "machine_id"?)', line: 2 },
      { message: 'unknown key "delivred" (did you mean "delivered"?)', line: 4 },
    ],
  );
});

test('policy tests: a record the intake would refuse breaks the file, since the agent would never see it', async (t) => {
  const file = await writeFixture(
    await tempDir(t),
    `${header}
  - name: two parts
    record: { classification: org.example/crash, severity: 2 }
    expect: { outcome: rejected:not_allowed }
  - name: a line break in a header
    records:
      - { classification: org.example/crash/app }
      - { classification: org.example/crash/app, headers: { build: "1\\nforged: yes" } }
    expect: {}
`,
  );
  const { diagnostics } = await runTestFile(file);
  assert.deepEqual(
    diagnostics.map(({ code, line, path: keyPath }) => ({ code, line, path: keyPath.join('.') })),
    [
      { code: 'test-record-invalid', line: 5, path: 'tests.0.record' },
      { code: 'test-record-invalid', line: 10, path: 'tests.1.records.1' },
    ],
  );
  assert.match(diagnostics[0]?.message ?? '', /bad_classification: classification "org\.example\/crash" is not in most\/to\/least specific format/);
});
