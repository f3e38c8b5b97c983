/**
 * Loads the native addon (native/telem_native.c, built by `npm ci` through the package's
 * `install` script into build/Release/). It is loaded on first use, so importing this module
 * never fails; using it on a checkout where it was not built says how to build it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  /** getsockopt(fd, SOL_SOCKET, SO_PEERCRED); uid and gid are 4294967295 when there is no unix peer. */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /** flock(2): true when taken; false when nonBlocking and another open file holds it. */
  flock(fd: number, exclusive: boolean, nonBlocking: boolean): boolean;
  unlock(fd: number): void;
  /** recv(2) with MSG_DONTWAIT (and MSG_PEEK when `peek`): the bytes (empty at end of stream), or null when none are there yet. */
  recv(fd: number, length: number, peek: boolean): Buffer | null;
  /** True once the peer has closed its sending side (poll POLLRDHUP). */
  peerShutdown(fd: number): boolean;
  /** malloc_trim(0) under glibc: true when pages went back to the kernel. */
  trimHeap(): boolean;
}

/** Where the compiled addon lives, relative to the package root. */
export const ADDON_PATH = path.join('build', 'Release', 'telem_native.node');

let loaded: NativeAddon | undefined;

/** The package root: the nearest folder above this module with a package.json (from dist/ or from source). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export function nativeAddon(): NativeAddon {
  if (loaded) return loaded;
  const file = path.join(packageRoot(), ADDON_PATH);
  if (!existsSync(file)) {
    throw new Error(`the native addon ${file} is not built: run \`npm run build:native\` (npm ci builds it)`);
  }
  loaded = createRequire(import.meta.url)(file) as NativeAddon;
  return loaded;
}
