import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { NOT_OPTED_IN_MESSAGE } from '../../engine/consent/files.js';
import { createRecord, send, setConfigFile, setEventId, setPayload } from '../../engine/index.js';
import { RecordError } from '../../engine/record/problem.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startIntake, TEST_MACHINE_ID, waitUntil } from '../helpers/intake.js';

function rejectsWith(code: string, message?: string): (error: unknown) => boolean {
  return (error) => error instanceof RecordError && error.code === code && (message === undefined || error.message === message);
}

test('probe library: createRecord + setPayload + send delivers a record the agent accepts', async (t) => {
  const { server, sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const record = await createRecord({ classification: 'org.example/js/probe', severity: 2, payloadVersion: 3, root });
  setPayload(record, 'hello from JavaScript\n');
  await send(record, { root });
  await waitUntil(() => server.stats().accepted === 1);
  const accepted = sink.records[0]!;
  assert.equal(accepted.record.headers.classification, 'org.example/js/probe');
  assert.equal(accepted.record.headers.severity, '2');
  assert.equal(accepted.record.headers.payload_format_version, '3');
  assert.equal(accepted.record.headers.system_name, 'debian');
  assert.equal(accepted.record.headers.machine_id, TEST_MACHINE_ID);
  assert.equal(accepted.record.headers.event_id, record.headers.event_id);
  assert.equal(accepted.record.payload.toString(), 'hello from JavaScript\n');
});

test('probe library: setEventId and setConfigFile travel with the record', async (t) => {
  const { server, sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const conf = path.join(root, 'probe.conf');
  await writeFile(conf, '');
  const record = await createRecord({ classification: 'a/b/c', root });
  setEventId(setPayload(record, 'x'), 'aaaaaa00000033333344444466666622');
  await setConfigFile(record, conf);
  await send(record, { root });
  await waitUntil(() => server.stats().accepted === 1);
  assert.equal(sink.records[0]?.record.headers.event_id, 'aaaaaa00000033333344444466666622');
  assert.equal(sink.records[0]?.configPath, conf);
});

test("probe library: without opt-in, send refuses with upstream's message and nothing leaves the process", async (t) => {
  const { server, root } = await startIntake(t);
  await captureLikeRoot(t, { root, optedIn: false });
  const record = setPayload(await createRecord({ classification: 'a/b/c', root }), 'secret');
  await assert.rejects(send(record, { root }), rejectsWith('not-opted-in', NOT_OPTED_IN_MESSAGE));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual([server.stats().accepted, server.stats().rejected.empty], [0, 0]);
});

test('probe library: invalid values throw RecordError with a code instead of being clamped or cut', async (t) => {
  const root = await captureLikeRoot(t);
  await assert.rejects(createRecord({ classification: 't/t', root }), rejectsWith('classification-format'));
  await assert.rejects(createRecord({ classification: 't/t/t', severity: 5, root }), rejectsWith('severity-range', 'Valid range for severity is 1-4'));
  const record = await createRecord({ classification: 't/t/t', root });
  const eventId = record.headers.event_id;
  assert.throws(() => setEventId(record, 'aaaaaa000000333333444444666666ZZ'), rejectsWith('event-id-character'));
  assert.equal(record.headers.event_id, eventId, 'a refused event id leaves the record unchanged');
  assert.equal(setPayload(record, 'a'.repeat(8192)).payload.length, 8192);
  assert.throws(() => setPayload(record, 'a'.repeat(8193)), rejectsWith('payload-too-large'));
  assert.throws(() => setPayload(record, 'bell\u0007'), rejectsWith('payload-control'));
  await assert.rejects(setConfigFile(record, 'relative.conf'), rejectsWith('config-path', 'Configuration file path not valid'));
});

test('probe library: an unreachable agent is a RecordError naming the socket', async (t) => {
  const root = await captureLikeRoot(t);
  const record = setPayload(await createRecord({ classification: 'a/b/c', root }), 'x');
  await assert.rejects(send(record, { root }), rejectsWith('agent-unreachable', `could not send the record to ${root}/run/telem-0: ENOENT (is the telem agent running?)`));
});
