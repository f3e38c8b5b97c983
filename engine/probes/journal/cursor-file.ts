/**
 * The journal position the probe keeps across restarts: the `__CURSOR` of the last entry it handed
 * to the agent, in a file of its state directory, replaced atomically so a crash leaves the old
 * cursor or the new one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../paths/write-atomic.js';

export const CURSOR_FILE_NAME = 'cursor';

export function cursorFile(stateDir: string): string {
  return path.join(stateDir, CURSOR_FILE_NAME);
}

/** The saved cursor; null when there is none yet (or the file is empty). */
export async function readCursor(stateDir: string): Promise<string | null> {
  try {
    const text = (await readFile(cursorFile(stateDir), 'utf8')).trim();
    return text === '' ? null : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function writeCursor(stateDir: string, cursor: string): void {
  writeFileAtomic(cursorFile(stateDir), `${cursor}\n`);
}

/** The boot a cursor belongs to: its `b=` part, 32 hex digits (journald's cursors are `s=…;i=…;b=…;m=…;t=…;x=…`). */
export function cursorBootId(cursor: string): string | null {
  return /(?:^|;)b=([0-9a-f]{32})(?:;|$)/.exec(cursor)?.[1] ?? null;
}
