/**
 * The boot the BERT probe last dealt with, kept in its state directory: the region describes the
 * previous boot's errors and does not change while this one runs, so it is read once per boot.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../paths/write-atomic.js';

export const BOOT_FILE = 'reported-boot.json';

export function readReportedBoot(stateDir: string): string | undefined {
  try {
    const value = JSON.parse(readFileSync(path.join(stateDir, BOOT_FILE), 'utf8')) as { bootId?: unknown };
    return typeof value.bootId === 'string' ? value.bootId : undefined;
  } catch {
    return undefined;
  }
}

export function writeReportedBoot(stateDir: string, bootId: string): void {
  writeFileAtomic(path.join(stateDir, BOOT_FILE), `${JSON.stringify({ bootId })}\n`);
}
