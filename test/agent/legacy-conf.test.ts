import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../helpers/agent-process.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';

test('agent on a telemetrics.conf: an operator runs the old file unchanged and records reach its server', async (t) => {
  const root = await captureLikeRoot(t);
  const sink = await startHttpSink(t);
  const conf = path.join(root, 'telemetrics.conf');
  await writeFile(
    conf,
    [
      '# an upstream-style file, as found on existing machines',
      '[settings]',
      `server=${sink.url('/v3/collector')}`,
      'spool_dir=/var/spool/telemetry',
      'tidheader=X-Telemetry-TID:\\s11111111-2222-3333-4444-555555555555',
      'record_burst_limit=100',
      'record_window_length=15',
      '',
    ].join('\n'),
  );
  const agent = await startAgent(t, { root, policy: conf });
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'from an old machine' })]), null);
  await waitUntil(() => sink.requests.length === 1, 5000, 'delivery to the conf server');
  const request = sink.requests[0];
  assert.match(request?.head ?? '', /\r\nX-Telemetry-TID: 11111111-2222-3333-4444-555555555555\r\n/);
  assert.equal((JSON.parse(request?.body.toString() ?? '{}') as { payload: string }).payload, 'from an old machine');
});
