/**
 * Skips that CI does not accept. A test may skip when its environment lacks something
 * (PostgreSQL, Chromium, a mountable filesystem), but CI provisions all of it, so there a skip
 * means something is broken: with TELEM_TEST_NO_SKIP=1 (set by .ci/run) each skip reason
 * becomes a failure that names it.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

const NO_SKIP = process.env.TELEM_TEST_NO_SKIP === '1';

/** For a test's `skip` option: the reason unchanged; under TELEM_TEST_NO_SKIP, a failure of the test file naming it. */
export function skipUnlessRequired(reason: string | false): string | false {
  if (reason !== false && NO_SKIP) throw new Error(`a test would skip (${reason}), and TELEM_TEST_NO_SKIP=1 does not allow skips`);
  return reason;
}

/** Inside a test: skips with `reason`, or fails with it under TELEM_TEST_NO_SKIP. */
export function skipOrFail(t: TestContext, reason: string): void {
  if (NO_SKIP) assert.fail(`this test would skip (${reason}), and TELEM_TEST_NO_SKIP=1 does not allow skips`);
  t.skip(reason);
}
