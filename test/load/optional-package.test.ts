import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TelemError } from '../../engine/errors/telem-error.js';
import { importOptional } from '../../engine/load/optional-package.js';

test('optional package: a missing package is named with the command that installs it', async () => {
  const missing = importOptional('telem-test-no-such-package', 'a test feature', () => import('telem-test-no-such-package' as string));
  await assert.rejects(missing, (error: unknown) => {
    assert.ok(error instanceof TelemError);
    assert.equal(error.code, 'package-missing');
    assert.equal(error.message, 'a test feature needs the package "telem-test-no-such-package", which is not installed (it is optional): npm install telem-test-no-such-package');
    return true;
  });
});

test('optional package: another package missing, or any other failure, is not blamed on the optional one', async () => {
  await assert.rejects(
    importOptional('pg', 'a postgres:// database', () => import('telem-test-no-such-package' as string)),
    (error: unknown) => !(error instanceof TelemError),
  );
  await assert.rejects(
    importOptional('pg', 'a postgres:// database', () => Promise.reject(new Error('boom'))),
    /^Error: boom$/,
  );
  assert.equal(typeof (await importOptional('pg', 'a postgres:// database', () => import('pg'))).default.Pool, 'function', 'an installed package loads');
});
