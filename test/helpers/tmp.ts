/** Temporary directories that clean themselves up after the test. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

export async function tempDir(t: TestContext, prefix = 'telem-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  // After-hooks run in the order they were added, so a process a test started later may still be
  // writing here: retry, and never let a leftover directory fail the test or skip the hooks after it.
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => undefined));
  return dir;
}
