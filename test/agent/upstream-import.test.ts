import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { writeStagedRecordFile } from '../../engine/record/staged-file.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { waitUntil } from '../helpers/intake.js';
import { testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

test('upstream spool: records staged by telemprobd in the spool directory are delivered at start and removed', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const spoolDir = path.join(root, 'var/spool/telemetry');
  await mkdir(spoolDir, { recursive: true });
  await writeStagedRecordFile({ dir: spoolDir, record: testRecord({ payload: 'staged by upstream' }), configPath: null });
  await writeStagedRecordFile({ dir: spoolDir, record: testRecord({ payload: 'with a CFG line' }), configPath: '/etc/telemetrics/alt.conf' });
  await writeFile(path.join(spoolDir, 'NOTREC'), 'not a record\n');
  const policy = await writePolicy(root, oneRoutePolicy({ name: 'import', destination: `{ type: http, url: "${sink.url('/v3/collector')}" }` }));
  const agent = await startAgent(t, { root, policy });
  await waitUntil(() => sink.requests.length === 2, 5000, 'both staged records');
  const payloads = sink.requests.map((request) => (JSON.parse(request.body.toString()) as { payload: string }).payload).sort();
  assert.deepEqual(payloads, ['staged by upstream', 'with a CFG line']);
  await agent.stop();
  const left = (await readdir(spoolDir)).filter((name) => /^[A-Za-z0-9]{6}$/.test(name));
  assert.deepEqual(left, ['NOTREC'], 'imported files are removed; a file that is not a record is left alone');
});
