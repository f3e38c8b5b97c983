/**
 * The machine's cohort seed: 128 random bits in /var/lib/telem/cohort-seed (mode 0600), made at the
 * first need and never sent anywhere. A lab pins a group together by giving its machines the same
 * seed file. Not derived from the machine id, which rotates and is sent with every record.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TelemError } from '../errors/telem-error.js';
import { underRoot } from '../paths/root.js';

export const COHORT_SEED_FILE = '/var/lib/telem/cohort-seed';
const SEED = /^[0-9a-f]{32}$/;

/** The seed under `root`, made now when there is none. Throws `system` when it cannot be read or made, `cohort-seed` when the file is not a seed. */
export function cohortSeed(root: string): string {
  const file = underRoot(root, COHORT_SEED_FILE);
  try {
    return readSeed(file) ?? makeSeed(file);
  } catch (error) {
    if (error instanceof TelemError) throw error;
    throw new TelemError('system', `cannot read or make the cohort seed ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

function makeSeed(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeFileSync(fd, `${randomBytes(16).toString('hex')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    // link, not rename: two agents starting together keep whichever seed was there first.
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return readSeed(file) as string;
}

function readSeed(file: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const seed = text.trim().toLowerCase();
  if (!SEED.test(seed)) throw new TelemError('cohort-seed', `${file} is not a cohort seed (32 hex digits)`, { hint: 'remove it to have a new one made, or write 32 hex digits to pin one' });
  // Readable by others it would let any local user tell which rollouts this machine takes first.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return seed;
}
