/**
 * The anonymous machine id stamped on every accepted record (reference §E.7): 32 lowercase hex
 * characters in /var/lib/telemetry/machine_id, replaced by a new random id once the file is
 * older than the policy's rotation period; /etc/telemetrics/opt-in-static-machine-id, when
 * present and not empty, overrides it (first 32 bytes, up to the first newline) and never rotates.
 */
import fs from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { randomId } from '../record/classification.js';
import { underRoot } from '../paths/root.js';
import { writeFileAtomic } from '../paths/write-atomic.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { MACHINE_ID_FILE, STATIC_MACHINE_ID_FILE } from './files.js';

const MACHINE_ID_PATTERN = /^[0-9a-f]{32}$/;
/** Upstream refreshed the id file hourly; rotation is also checked exactly when it is due. */
const RECHECK_MS = 3_600_000;

export interface MachineIdOptions {
  readonly root: string;
  /** consent.machine_id.rotate_every, in ms (upstream: 3 days). */
  readonly rotateEveryMs: number;
  /** Clock, for tests of rotation; defaults to Date.now. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

export interface MachineIdInfo {
  readonly id: string | null;
  readonly source: 'static' | 'file' | 'none';
  readonly file: string;
  /** When the file id was created (its mtime), for the file source. */
  readonly assignedAt: Date | null;
}

/** The static override's value, or null when the file is missing or empty. */
export async function readStaticMachineId(options: { readonly root: string }): Promise<string | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(underRoot(options.root, STATIC_MACHINE_ID_FILE));
  } catch {
    return null;
  }
  return staticIdFrom(bytes);
}

function staticIdFrom(bytes: Buffer): string | null {
  const text = bytes.subarray(0, 32).toString('utf8');
  const value = text.split(/[\n\0]/)[0] ?? '';
  return value === '' ? null : value;
}

function readStaticMachineIdSync(root: string): string | null {
  try {
    return staticIdFrom(fs.readFileSync(underRoot(root, STATIC_MACHINE_ID_FILE)));
  } catch {
    return null;
  }
}

/** What is assigned now, without creating or rotating anything (for `telem status`). */
export async function describeMachineId(options: { readonly root: string }): Promise<MachineIdInfo> {
  const staticId = await readStaticMachineId(options);
  const file = underRoot(options.root, staticId === null ? MACHINE_ID_FILE : STATIC_MACHINE_ID_FILE);
  if (staticId !== null) return { id: staticId, source: 'static', file, assignedAt: null };
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const id = text.trim();
    if (MACHINE_ID_PATTERN.test(id)) return { id, source: 'file', file, assignedAt: info.mtime };
  } catch {
    // Missing or unreadable: the agent assigns one when it accepts its first record.
  }
  return { id: null, source: 'none', file, assignedAt: null };
}

/**
 * The id source the intake stamps records with. Synchronous on purpose: the intake keeps a record
 * moving from the socket to the spool without yielding to other connections, and the file is
 * only looked at when a check is due (hourly, or when rotation is due).
 */
export class MachineIdSource {
  readonly #root: string;
  readonly #rotateEveryMs: number;
  readonly #now: () => number;
  readonly #logger: Logger;
  #staticId: string | null | undefined = undefined;
  #id: string | null = null;
  #recheckAt = Number.NEGATIVE_INFINITY;

  constructor(options: MachineIdOptions) {
    this.#root = options.root;
    this.#rotateEveryMs = options.rotateEveryMs;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
  }

  get file(): string {
    return underRoot(this.#root, MACHINE_ID_FILE);
  }

  /** The id to stamp on a record now. */
  current(): string {
    // Upstream read the static id once at daemon start; so does the source (a reload creates a new one).
    if (this.#staticId === undefined) this.#staticId = readStaticMachineIdSync(this.#root);
    if (this.#staticId !== null) return this.#staticId;
    if (this.#id !== null && this.#now() < this.#recheckAt) return this.#id;
    return this.#refresh();
  }

  #refresh(): string {
    const now = this.#now();
    let id: string | null = null;
    let assignedAt = now;
    try {
      const candidate = fs.readFileSync(this.file, 'utf8').trim();
      const info = fs.statSync(this.file);
      if (MACHINE_ID_PATTERN.test(candidate) && now - info.mtimeMs <= this.#rotateEveryMs) {
        id = candidate;
        assignedAt = info.mtimeMs;
      }
    } catch {
      // Missing or unreadable: a new id is made below.
    }
    if (id === null) {
      id = randomId();
      try {
        writeFileAtomic(this.file, id);
        this.#logger.info({ file: this.file }, 'assigned a new machine id');
      } catch (error) {
        // The id still works for this process; it just does not survive a restart.
        this.#logger.warn({ file: this.file, err: error }, 'could not save the machine id; using it for this run only');
      }
    }
    this.#id = id;
    this.#recheckAt = Math.min(now + RECHECK_MS, assignedAt + this.#rotateEveryMs + 1);
    return id;
  }
}
