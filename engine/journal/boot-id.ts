/** The boot id journal lines carry (upstream: the first 36 characters of the kernel's boot_id). */
import { readFile } from 'node:fs/promises';
import { underRoot } from '../paths/root.js';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** Written when the kernel file cannot be read, in the style of upstream's `no_bv_file` values. */
export const BOOT_ID_PLACEHOLDER = 'no_boot_id_file';

export async function readBootId(root: string): Promise<string> {
  const text = await readFile(underRoot(root, BOOT_ID_FILE), 'utf8').catch(() => '');
  const bootId = text.split('\n', 1)[0]?.trim().slice(0, 36) ?? '';
  return bootId === '' ? BOOT_ID_PLACEHOLDER : bootId;
}
