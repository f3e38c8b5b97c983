/** The spool's own files under stress: file handles, permissions and symlinks. */
import assert from 'node:assert/strict';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { SpoolEntry } from '../../engine/spool/entry.js';
import { Spool } from '../../engine/spool/spool.js';
import { testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { skipUnlessRequired } from '../helpers/skip.js';

function entry(index: number): SpoolEntry {
  return { id: index.toString(16).padStart(32, '0'), acceptedAt: 0, record: testRecord({ payload: `entry ${index}` }), routes: [{ route: 'all', to: ['central'] }], revision: 1 };
}

/** Descriptors this process holds open on files in `dir`. */
async function openFilesIn(dir: string): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(`${dir}${path.sep}`));
}

test(
  'spool: settlements of one segment share one descriptor of its ack file, and close() leaves none open',
  { skip: skipUnlessRequired(process.platform === 'linux' ? false : 'reads /proc/self/fd') },
  async (t) => {
    const dir = await tempDir(t);
    const { spool } = await Spool.open({ dir, durability: 'fsync', batchWindowMs: 0, maxBytes: null });
    const entries = Array.from({ length: 20 }, (_, index) => entry(index));
    const indexed = [];
    for (const item of entries) indexed.push(await spool.append(item));
    for (const item of indexed) spool.settle({ entry: item, route: 'all', destination: 'central', outcome: 'delivered' });
    assert.equal(spool.liveRecords, 0);
    await spool.close();
    assert.deepEqual(await openFilesIn(dir), []);
  },
);
