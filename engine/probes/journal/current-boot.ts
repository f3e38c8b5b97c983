/**
 * The current boot as the journal names it. The kernel's boot_id is a dashed UUID
 * (8-4-4-4-12); journal entries (_BOOT_ID) and cursors (b=) carry the same 128 bits as 32 hex
 * digits without dashes.
 */
import { readBootId } from '../../journal/boot-id.js';

export async function currentJournalBootId(root: string): Promise<string | null> {
  const bootId = (await readBootId(root)).replaceAll('-', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(bootId) ? bootId : null;
}
