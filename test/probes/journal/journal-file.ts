/**
 * Real journal files for the journal probe's tests, written by systemd's own
 * systemd-journal-remote from a journal export stream (FIELD=value lines, entries separated by a
 * blank line; a value with a line break or other bytes in the binary form: FIELD, a newline, the
 * length as 64-bit little-endian, the bytes, a newline).
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const JOURNAL_REMOTE = '/usr/lib/systemd/systemd-journal-remote';

/** The boot the test roots run in, as the kernel writes it and as the journal writes it. */
export const TEST_BOOT_UUID = '0123abcd-4567-89ef-0123-456789abcdef';
export const TEST_BOOT_ID = '0123abcd456789ef0123456789abcdef';
export const EARLIER_BOOT_ID = 'ffffeeeeddddccccbbbbaaaa99998888';

export interface ExportEntry {
  /** __REALTIME_TIMESTAMP, microseconds since the epoch. */
  readonly realtimeUs: number;
  readonly bootId?: string;
  readonly priority?: number;
  readonly message?: string | Buffer;
  readonly identifier?: string;
  readonly unit?: string;
}

/** The reason the tests cannot run here, or false. */
export function journalRemoteMissing(): string | false {
  try {
    accessSync(JOURNAL_REMOTE, constants.X_OK);
    return false;
  } catch {
    return `${JOURNAL_REMOTE} is not installed (Debian package systemd-journal-remote), so no journal file can be written`;
  }
}

function field(name: string, value: string | Buffer): Buffer {
  if (typeof value === 'string' && !value.includes('\n')) return Buffer.from(`${name}=${value}\n`);
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([Buffer.from(`${name}\n`), length, bytes, Buffer.from('\n')]);
}

export function exportStream(entries: readonly ExportEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(field('__REALTIME_TIMESTAMP', String(entry.realtimeUs)));
    // Monotonic time since an imaginary boot at 1,700,000,000 s: only its order matters here.
    parts.push(field('__MONOTONIC_TIMESTAMP', String(entry.realtimeUs - 1_700_000_000_000_000)));
    parts.push(field('_BOOT_ID', entry.bootId ?? TEST_BOOT_ID));
    if (entry.priority !== undefined) parts.push(field('PRIORITY', String(entry.priority)));
    if (entry.identifier !== undefined) parts.push(field('SYSLOG_IDENTIFIER', entry.identifier));
    if (entry.unit !== undefined) parts.push(field('_SYSTEMD_UNIT', entry.unit));
    if (entry.message !== undefined) parts.push(field('MESSAGE', entry.message));
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Writes `file` (a name ending in .journal) with these entries. It is written elsewhere and renamed
 * into place, so a journalctl following the directory sees a complete file appear.
 */
export async function writeJournalFile(file: string, entries: readonly ExportEntry[]): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'telem-journal-'));
  try {
    const written = path.join(scratch, path.basename(file));
    await new Promise<void>((resolve, reject) => {
      const child = spawn(JOURNAL_REMOTE, [`--output=${written}`, '--compress=no', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (status) => (status === 0 ? resolve() : reject(new Error(`systemd-journal-remote exited with ${status}: ${stderr}`))));
      child.stdin.end(exportStream(entries));
    });
    await mkdir(path.dirname(file), { recursive: true });
    await rename(written, file);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes the kernel's boot id file of a test root (what readBootId reads under the root). */
export async function writeBootId(root: string, uuid = TEST_BOOT_UUID): Promise<void> {
  await mkdir(path.join(root, 'proc/sys/kernel/random'), { recursive: true });
  await writeFile(path.join(root, 'proc/sys/kernel/random/boot_id'), `${uuid}\n`);
}

/** Each entry's cursor in a journal file, by its MESSAGE, as journalctl reports them. */
export function journalCursors(file: string): Map<string, string> {
  const output = execFileSync('journalctl', [`--file=${file}`, '--output=json', '--output-fields=MESSAGE'], { encoding: 'utf8' });
  const entries = output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { MESSAGE: unknown; __CURSOR: string });
  return new Map(entries.map((entry) => [String(entry.MESSAGE), entry.__CURSOR]));
}
