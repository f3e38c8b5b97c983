/**
 * Small real filesystems for the disk-full and read-only cases. Tests run as root, and root
 * ignores file permissions, so "read-only" and "full" must come from the filesystem itself: a
 * size-limited tmpfs, or a read-only bind mount. Where mounting is not allowed (an unprivileged
 * container) the cases are skipped with MOUNT_SKIP's reason.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { skipUnlessRequired } from '../helpers/skip.js';

const run = promisify(execFile);

async function mount(args: readonly string[]): Promise<void> {
  await run('mount', [...args]);
}

async function unmount(dir: string): Promise<void> {
  // Lazy: a file the agent still holds open must not keep the mount (and the test) alive.
  await run('umount', ['-l', dir]).catch(() => undefined);
}

async function probeMounting(): Promise<false | string> {
  if (process.platform !== 'linux') return 'mounting a tmpfs needs Linux';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'telem-mount-probe-'));
  try {
    await mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    await unmount(dir);
    return false;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.trim().split('\n').at(-1) ?? 'mount failed'}); the disk-full and read-only spool cases need root with CAP_SYS_ADMIN`;
  } finally {
    await rmdir(dir).catch(() => undefined);
  }
}

/** false when tmpfs and bind mounts work, otherwise why the cases are skipped. */
export const MOUNT_SKIP: false | string = skipUnlessRequired(await probeMounting());

export interface MountingRoot {
  /** A fresh temporary directory, removed after the test once everything mounted in it is unmounted. */
  readonly root: string;
  /** Mounts a tmpfs of `bytes` on `dir` (created if missing). */
  tmpfs(dir: string, bytes: number): Promise<void>;
  /** Bind-mounts `dir` (created if missing) on itself so it can be switched between read-only and read-write. */
  bindOnItself(dir: string): Promise<{ readOnly(on: boolean): Promise<void> }>;
}

/**
 * After-hooks run in the order they were added, so the root and its mounts share one hook: a
 * mount point cannot be removed before it is unmounted.
 */
export async function mountingRoot(t: TestContext): Promise<MountingRoot> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'telem-mounts-'));
  const mounted: string[] = [];
  t.after(async () => {
    for (const dir of mounted.reverse()) await unmount(dir);
    await rm(root, { recursive: true, force: true });
  });
  return {
    root,
    async tmpfs(dir, bytes) {
      await mkdir(dir, { recursive: true });
      await mount(['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
      mounted.push(dir);
    },
    async bindOnItself(dir) {
      await mkdir(dir, { recursive: true });
      await mount(['--bind', dir, dir]);
      mounted.push(dir);
      return { readOnly: (on) => mount(['-o', `remount,bind,${on ? 'ro' : 'rw'}`, dir]) };
    },
  };
}

/** Writes zeros to `file` until the filesystem is full (the last write is cut short by ENOSPC). */
export async function fillFilesystem(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(4096);
  let written = 0;
  try {
    for (;;) {
      const { bytesWritten } = await handle.write(chunk);
      written += bytesWritten;
      if (bytesWritten < chunk.length) break;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  return written;
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
