import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { encodeFrame } from '../../engine/record/frame.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame, testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

function policy(options: { v3: string; v2: string }): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: delivery, revision: 2 }
consent: { require_opt_in: false }
destinations:
  modern: { type: http, protocol: v3, url: "${options.v3}" }
  legacy: { type: http, protocol: v2, url: "${options.v2}" }
routes:
  - { name: crashes, match: { classification: "org.clearlinux/crash/*" }, to: [legacy] }
  - { name: default, match: { classification: "*" }, to: [modern] }
`;
}

test('agent: a record sent through the socket arrives at a v3 route as the exact JSON body', async (t) => {
  const root = await tempDir(t);
  const modern = await startHttpSink(t);
  const legacy = await startHttpSink(t);
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy({ v3: modern.url('/v3/collector'), v2: legacy.url('/v2/collector') })) });
  const payload = 'line one\nline "two"\ttabbed \\ back/slash\n';
  const record = testRecord({ payload });
  assert.equal(await sendRaw(agent.socketPath, [encodeFrame(record, { configPath: null })]), null);
  await waitUntil(() => modern.requests.length === 1, 10_000, 'the v3 delivery');
  const [request] = modern.requests;
  assert.match(request?.head ?? '', /^POST \/v3\/collector HTTP\/1\.1\r\n/);
  assert.match(request?.head ?? '', /\r\nX-Telemetry-TID: 6907c830-eed9-4ce9-81ae-76daf8d88f0f\r\n/);
  assert.match(request?.head ?? '', /\r\nContent-Type: application\/json\r\n/);
  const body = JSON.parse(request?.body.toString('utf8') ?? '') as Record<string, string>;
  assert.deepEqual(Object.keys(body), [...RECORD_HEADERS, 'payload']);
  const sent = record.headers;
  for (const name of RECORD_HEADERS) if (name !== 'machine_id') assert.equal(body[name], sent[name], name);
  assert.equal(body.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz', 'full value, not cut at the first space');
  assert.match(body.machine_id ?? '', /^[0-9a-f]{32}$/);
  assert.equal(body.payload, payload, 'payload byte-exact, no newline added');
  assert.equal(legacy.requests.length, 0);
});

test('agent: a record on a v2 route arrives as upstream v2 headers with the raw payload as body', async (t) => {
  const root = await tempDir(t);
  const modern = await startHttpSink(t);
  const legacy = await startHttpSink(t);
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy({ v3: modern.url('/v3/collector'), v2: legacy.url('/v2/collector') })) });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ classification: 'org.clearlinux/crash/clr', payload: 'Backtrace\n#0 main()' })]), null);
  await waitUntil(() => legacy.requests.length === 1, 10_000, 'the v2 delivery');
  const [request] = legacy.requests;
  const head = request?.head ?? '';
  assert.match(head, /^POST \/v2\/collector HTTP\/1\.1\r\n/);
  assert.match(head, /\r\nrecord_format_version: 4\r\nclassification: org\.clearlinux\/crash\/clr\r\nseverity: 1\r\nmachine_id: [0-9a-f]{32}\r\n/);
  assert.match(head, /\r\ncpu_model: Intel\(R\) Xeon\(R\) Processor @ 2\.50GHz\r\n/);
  assert.match(head, /\r\nContent-Type: application\/text\r\n/);
  assert.equal(request?.body.toString('utf8'), 'Backtrace\n#0 main()');
  assert.equal(modern.requests.length, 0);
});

test('agent: on SIGTERM it stops cleanly with exit status 0', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy({ v3: sink.url('/v3/collector'), v2: sink.url('/v2/collector') })) });
  assert.equal(await agent.stop(), 0);
  assert.ok(agent.logs.some((line) => line.msg === 'agent stopped'));
});
