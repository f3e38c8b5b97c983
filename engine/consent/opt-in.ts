/**
 * Opt-in and opt-out exactly as upstream's files: the machine has opted in while
 * /etc/telemetrics/opt-in exists (any kind of file), and telemctl opt-in / opt-out create and
 * remove it (reference §E.9).
 */
import fs from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { underRoot } from '../paths/root.js';
import { MACHINE_ID_FILE, OPT_IN_FILE } from './files.js';

export interface ConsentOptions {
  readonly root: string;
}

export function optInPath(options: ConsentOptions): string {
  return underRoot(options.root, OPT_IN_FILE);
}

export async function isOptedIn(options: ConsentOptions): Promise<boolean> {
  try {
    await stat(optInPath(options));
    return true;
  } catch {
    return false;
  }
}

export type OptInResult = 'opted-in' | 'already-opted-in';
export type OptOutResult = 'opted-out' | 'already-opted-out';

export async function optIn(options: ConsentOptions): Promise<OptInResult> {
  const file = optInPath(options);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  try {
    const handle = await open(file, 'wx', 0o644);
    await handle.close();
    return 'opted-in';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'already-opted-in';
    throw error;
  }
}

/**
 * Removes the opt-in marker and the random machine id, so a later opt-in starts with a new
 * anonymous identity (upstream deleted /var/lib/telemetry for the same reason).
 */
export async function optOut(options: ConsentOptions): Promise<OptOutResult> {
  try {
    await rm(optInPath(options));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'already-opted-out';
    throw error;
  }
  await rm(underRoot(options.root, MACHINE_ID_FILE), { force: true });
  return 'opted-out';
}

/**
 * The opt-in state as the intake sees it: checked at most once per `maxAgeMs`, so a flood of
 * records costs one stat() per interval and an opt-out takes effect within that interval. The
 * check is synchronous (a stat of one file) so the intake can keep a record moving to the spool
 * without yielding to other connections in between.
 */
export class ConsentGate {
  readonly #file: string;
  readonly #maxAgeMs: number;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #state = false;

  constructor(options: ConsentOptions & { readonly maxAgeMs?: number }) {
    this.#file = optInPath(options);
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
  }

  isOptedIn(): boolean {
    const now = Date.now();
    if (now - this.#checkedAt >= this.#maxAgeMs) {
      this.#checkedAt = now;
      this.#state = fs.statSync(this.#file, { throwIfNoEntry: false }) !== undefined;
    }
    return this.#state;
  }
}
