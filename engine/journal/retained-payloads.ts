/**
 * Retained payloads: the payload of each delivered record in `<payload_dir>/<record_id>`, for
 * `telem journal -i`; only the newest `keep` files stay. Upstream kept body + "\n" (the payload
 * plus two newlines); we keep the payload bytes exactly.
 */
import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Record ids are file names here: nothing that could leave the directory. */
const SAFE_NAME = /^[A-Za-z0-9_-]+$/;

export interface PayloadStore {
  /** Keeps the payload of a record (once per record id) and removes the oldest beyond the limit. */
  save(recordId: string, payload: Buffer): Promise<void>;
  readonly dir: string;
}

export async function openPayloadStore(options: { dir: string; keep: number }): Promise<PayloadStore> {
  const { dir, keep } = options;
  // Oldest first, so the front of the list is what goes when the limit is passed.
  const kept: string[] = [];
  if (keep > 0) {
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const aged = await Promise.all(names.filter((name) => SAFE_NAME.test(name)).map(async (name) => ({ name, mtime: (await stat(path.join(dir, name)).catch(() => null))?.mtimeMs })));
    for (const { name } of aged.filter((file) => file.mtime !== undefined).sort((a, b) => (a.mtime ?? 0) - (b.mtime ?? 0) || a.name.localeCompare(b.name))) {
      kept.push(name);
    }
  }
  const known = new Set(kept);

  async function trim(): Promise<void> {
    while (kept.length > keep) {
      const oldest = kept.shift() as string;
      known.delete(oldest);
      await unlink(path.join(dir, oldest)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
  await trim();

  return {
    dir,
    async save(recordId, payload) {
      if (keep === 0 || known.has(recordId)) return;
      if (!SAFE_NAME.test(recordId)) throw new Error(`record id "${recordId}" cannot name a file`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, recordId), payload, { mode: 0o640 });
      kept.push(recordId);
      known.add(recordId);
      await trim();
    },
  };
}

/** The retained payload of a record, or null when it was not kept (or has been trimmed). */
export async function readRetainedPayload(dir: string, recordId: string): Promise<Buffer | null> {
  if (!SAFE_NAME.test(recordId)) return null;
  return readFile(path.join(dir, recordId)).catch(() => null);
}
