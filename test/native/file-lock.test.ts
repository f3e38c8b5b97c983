import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { open, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { nativeAddon } from '../../engine/native/addon.js';
import { describeLockHolder, lockHolderPid, tryLockFile } from '../../engine/native/file-lock.js';
import { tempDir } from '../helpers/tmp.js';

const FILE_LOCK_MODULE = new URL('../../engine/native/file-lock.js', import.meta.url).href;

/** A real node process running `body` (an ES module with tryLockFile in scope); its stdout lines come one at a time. */
function lockProcess(t: TestContext, body: string, file: string): { child: ChildProcess; line: () => Promise<string> } {
  const script = `import { tryLockFile } from ${JSON.stringify(FILE_LOCK_MODULE)};\nconst file = process.argv[1];\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    line: async () => {
      const next = await lines.next();
      assert.ok(!next.done, 'the child exited before printing a line');
      return next.value;
    },
  };
}

/** Tries the lock once in a fresh process and says what happened. */
async function tryInAnotherProcess(t: TestContext, file: string): Promise<string> {
  const probe = lockProcess(t, 'console.log(tryLockFile(file) ? "taken" : "held");', file);
  const exited = once(probe.child, 'exit'); // it holds what it took until it exits
  const answer = await probe.line();
  await exited;
  return answer;
}

const HOLD = 'const lock = tryLockFile(file); console.log(lock ? "locked" : "held"); setInterval(() => {}, 1000);';

test('tryLockFile: another process cannot take a lock this one holds, and can once it is released', { timeout: 20_000 }, async (t) => {
  const file = path.join(await tempDir(t), 'spool.lock');
  const lock = tryLockFile(file);
  assert.ok(lock);
  assert.equal(await tryInAnotherProcess(t, file), 'held');
  lock.release();
  assert.equal(await tryInAnotherProcess(t, file), 'taken');
});

test('tryLockFile: a lock held by a process killed with SIGKILL is released by the kernel', { timeout: 20_000 }, async (t) => {
  const file = path.join(await tempDir(t), 'spool.lock');
  const holder = lockProcess(t, HOLD, file);
  assert.equal(await holder.line(), 'locked');
  assert.equal(await tryInAnotherProcess(t, file), 'held');
  assert.equal(tryLockFile(file), null);
  assert.equal(describeLockHolder(file), `held by pid ${holder.child.pid}`);
  holder.child.kill('SIGKILL');
  await once(holder.child, 'exit');
  assert.equal(await tryInAnotherProcess(t, file), 'taken');
  const lock = tryLockFile(file);
  assert.ok(lock);
  assert.equal(lockHolderPid(file), process.pid);
  lock.release();
});

test('tryLockFile: a child the holder spawned does not keep the lock after the holder is killed', { timeout: 20_000 }, async (t) => {
  const file = path.join(await tempDir(t), 'spool.lock');
  const holder = lockProcess(
    t,
    `${HOLD}\nconst { spawn } = await import('node:child_process');\nconst child = spawn('sleep', ['30'], { stdio: 'ignore', detached: true });\nconsole.log(child.pid);`,
    file,
  );
  assert.equal(await holder.line(), 'locked');
  const grandchild = Number(await holder.line());
  t.after(() => process.kill(grandchild, 'SIGKILL'));
  holder.child.kill('SIGKILL');
  await once(holder.child, 'exit');
  process.kill(grandchild, 0); // still running
  assert.equal(await tryInAnotherProcess(t, file), 'taken');
});

test('tryLockFile: a second lock in the same process is refused until the first is released', async (t) => {
  const file = path.join(await tempDir(t), 'spool.lock');
  const first = tryLockFile(file);
  assert.ok(first);
  assert.equal(tryLockFile(file), null);
  first.release();
  first.release(); // a second release does nothing
  const second = tryLockFile(file);
  assert.ok(second);
  second.release();
});

test('tryLockFile: creates the file with mode 0600 holding the pid, and release empties it', async (t) => {
  const file = path.join(await tempDir(t), 'spool.lock');
  await writeFile(path.join(path.dirname(file), 'unrelated'), '');
  const lock = tryLockFile(file);
  assert.ok(lock);
  assert.equal(lock.path, file);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(await readFile(file, 'utf8'), `${process.pid}\n`);
  lock.release();
  assert.equal(await readFile(file, 'utf8'), '');
  assert.equal(lockHolderPid(file), null);
  assert.equal(describeLockHolder(file), 'held by another process');
});

test('tryLockFile: replaces what a dead holder left in the file with its own pid', async (t) => {
  const file = path.join(await tempDir(t), 'spool.lock');
  await writeFile(file, '99999999\nleft over from an earlier run\n');
  const lock = tryLockFile(file);
  assert.ok(lock);
  assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`);
  lock.release();
});

test('tryLockFile: refuses to follow a symlink (ELOOP) and to lock a folder', async (t) => {
  const dir = await tempDir(t);
  const target = path.join(dir, 'elsewhere');
  await writeFile(target, 'keep me');
  await symlink(target, path.join(dir, 'spool.lock'));
  assert.throws(() => tryLockFile(path.join(dir, 'spool.lock')), { code: 'ELOOP' });
  assert.equal(await readFile(target, 'utf8'), 'keep me');
  assert.throws(() => tryLockFile(dir), { code: 'EISDIR' });
  assert.throws(() => tryLockFile(path.join(dir, 'missing', 'spool.lock')), { code: 'ENOENT' });
});

test('native flock: false when non-blocking and held elsewhere; errors carry the errno name', async (t) => {
  const file = path.join(await tempDir(t), 'raw.lock');
  const first = await open(file, 'w');
  const second = await open(file, 'r');
  t.after(() => Promise.all([first.close(), second.close()]));
  assert.equal(nativeAddon().flock(first.fd, true, true), true);
  assert.equal(nativeAddon().flock(second.fd, true, true), false);
  assert.equal(nativeAddon().flock(second.fd, false, true), false, 'a shared lock waits for an exclusive one too');
  nativeAddon().unlock(first.fd);
  assert.equal(nativeAddon().flock(second.fd, false, true), true);
  assert.equal(nativeAddon().flock(first.fd, false, true), true, 'shared locks coexist');
  assert.throws(() => nativeAddon().flock(-1, true, true), { code: 'EBADF', errno: 9, syscall: 'flock', message: 'EBADF: Bad file descriptor, flock' });
  assert.throws(() => nativeAddon().unlock(-1), { code: 'EBADF', syscall: 'flock' });
  assert.throws(() => nativeAddon().flock(first.fd, true, 'yes' as unknown as boolean), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => (nativeAddon().flock as (fd: number) => boolean)(first.fd), { name: 'TypeError', code: 'ERR_MISSING_ARGS' });
});
