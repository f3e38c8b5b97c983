/**
 * A file destination: one NDJSON line per record (the v3 JSON object), appended. Deliveries that
 * arrive while a write is under way are written and synced together (group commit), so fsync per
 * record does not cap throughput at the disk's sync rate.
 */
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedDestination } from '../../schemas/resolved.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import type { DeliveryResult, DestinationClient } from './destination.js';
import { recordJson } from './record-json.js';

export type FileDestinationConfig = Extract<ResolvedDestination, { type: 'file' }>;

export interface FileClientOptions {
  /** Root that `path` resolves under. */
  readonly root: string;
  readonly logger?: Logger | undefined;
}

interface Pending {
  readonly line: string;
  readonly settle: (result: DeliveryResult) => void;
}

interface OpenFile {
  readonly handle: FileHandle;
  /** Inode at open: a different one at the path means the file was rotated away. */
  readonly ino: number;
  /** The file ends in a torn line (a crash mid-write): start the next write on a fresh line. */
  tornTail: boolean;
}

export function createFileClient(config: FileDestinationConfig, options: FileClientOptions): DestinationClient {
  const logger = (options.logger ?? silentLogger).child({ destination: config.name });
  const file = underRoot(options.root, config.path);
  const pending: Pending[] = [];
  let current: OpenFile | null = null;
  let writing: Promise<void> | null = null;
  let closed = false;

  async function openFile(): Promise<OpenFile> {
    await mkdir(path.dirname(file), { recursive: true });
    // Records can be personal data: not world-readable.
    const handle = await open(file, 'a+', 0o640);
    try {
      const { size, ino } = await handle.stat();
      let tornTail = false;
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        tornTail = last[0] !== 0x0a;
      }
      return { handle, ino, tornTail };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async function currentFile(): Promise<OpenFile> {
    if (current) {
      const onDisk = await stat(file).catch(() => null);
      if (onDisk?.ino === current.ino) return current;
      // logrotate moved or removed it: the next lines go to a new file at the configured path.
      await current.handle.close().catch(() => undefined);
      current = null;
    }
    current = await openFile();
    return current;
  }

  async function writeBatch(lines: string): Promise<DeliveryResult> {
    try {
      const target = await currentFile();
      await target.handle.appendFile(target.tornTail ? `\n${lines}` : lines);
      target.tornTail = false;
      if (config.fsync) await target.handle.datasync();
      return { outcome: 'delivered' };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      logger.warn({ file, code }, 'cannot append to the destination file; records wait in the spool');
      // A failed write may have left part of a line: reopen and check the tail before the next one.
      await current?.handle.close().catch(() => undefined);
      current = null;
      return { outcome: 'retry', reason: `file_${code.toLowerCase()}` };
    }
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0);
      const result = await writeBatch(batch.map((entry) => entry.line).join(''));
      for (const entry of batch) entry.settle(result);
    }
    writing = null;
  }

  return {
    name: config.name,
    deliver(record) {
      if (closed) return Promise.resolve({ outcome: 'retry', reason: 'client_closed' });
      return new Promise((settle) => {
        pending.push({ line: `${recordJson(record)}\n`, settle });
        writing ??= drain();
      });
    },
    async close() {
      closed = true;
      await writing;
      await current?.handle.close().catch(() => undefined);
      current = null;
    },
  };
}
