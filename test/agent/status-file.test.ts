import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { keepStatusFile, statusFilePath, type RuntimeStatus } from '../../engine/agent/status-file.js';
import { tempDir } from '../helpers/tmp.js';

type Status = Omit<RuntimeStatus, 'state' | 'updatedAt'>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function status(accepted: number): Status {
  return {
    pid: process.pid,
    startedAt: '2026-12-04T00:00:00.000Z',
    policy: { name: 'test', revision: 1, source: 'test.yaml' },
    spool: { dir: '/spool', records: 0, bytes: 0, maxBytes: null },
    backlog: {},
    destinations: {},
    drops: {},
    intake: { accepted, refused: {}, empty: 0, active: 0, waiting: 0 },
    socket: '/run/telem.sock',
    metrics: null,
    fleet: null,
  };
}

const read = (root: string) => JSON.parse(readFileSync(statusFilePath(root), 'utf8')) as RuntimeStatus;

test('status file: an unchanged status is not rewritten while the agent idles, and a change shows after a touch', async (t) => {
  const root = await tempDir(t);
  let accepted = 0;
  const kept = keepStatusFile({ root, status: () => status(accepted), onError: (error) => assert.fail(error) });
  t.after(() => kept.stop());
  const first = statSync(statusFilePath(root)).mtimeMs;
  assert.equal(read(root).state, 'running');
  // Idle: several checks run (after 1, 2 s …) and find nothing to write.
  await sleep(3500);
  assert.equal(statSync(statusFilePath(root)).mtimeMs, first, 'the file was rewritten though nothing changed');
  accepted = 5;
  kept.touch();
  for (let waited = 0; waited < 5000 && read(root).intake.accepted !== 5; waited += 50) await sleep(50);
  assert.equal(read(root).intake.accepted, 5, 'a change after a touch did not reach the file');
  kept.stop();
  assert.equal(read(root).state, 'stopped');
});
