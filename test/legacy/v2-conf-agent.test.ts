/** The real agent on a v2-era telemetrics.conf: records reach a /v2/collector server in the v2 format it accepts. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../helpers/agent-process.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';

test('agent on a v2-era telemetrics.conf in /etc: a record reaches the /v2/collector server as v2 headers with the raw payload', async (t) => {
  const root = await captureLikeRoot(t);
  const sink = await startHttpSink(t);
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics/telemetrics.conf'), `[settings]\nserver=${sink.url('/v2/collector')}\nspool_dir=/var/spool/telemetry\n`);
  const agent = await startAgent(t, { root });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'from a 2.3 machine' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5_000, 'delivery to the v2 server');
  const head = sink.requests[0]?.head ?? '';
  assert.match(head, /^POST \/v2\/collector HTTP\/1\.1\r\n/);
  assert.match(head, /\r\nrecord_format_version: 4\r\nclassification: org\.example\/probe\/test\r\n/);
  assert.match(head, /\r\nContent-Type: application\/text\r\n/);
  assert.equal(sink.requests[0]?.body.toString('utf8'), 'from a 2.3 machine');
});
