/**
 * Upstream telemprobd staged one file per record straight into the spool directory (six-character
 * mkstemp names, reference §B). On start, such files are taken into this agent like any new
 * record and removed once the agent has them, so an upstream spool is delivered, not lost.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { readStagedRecordFile } from '../record/staged-file.js';
import type { Agent } from './agent.js';

const UPSTREAM_NAME = /^[A-Za-z0-9]{6}$/;

export async function importUpstreamSpool(options: { dir: string; agent: Agent; logger: Logger }): Promise<{ imported: number; unreadable: number }> {
  let names: string[];
  try {
    names = (await readdir(options.dir)).filter((name) => UPSTREAM_NAME.test(name));
  } catch {
    return { imported: 0, unreadable: 0 };
  }
  let imported = 0;
  let unreadable = 0;
  for (const name of names) {
    const file = path.join(options.dir, name);
    const staged = await readStagedRecordFile(file).catch((error: NodeJS.ErrnoException) => ({ ok: false as const, detail: `cannot be read (${error.code ?? error.message})` }));
    if (!staged.ok) {
      // Left in place: it may be something else that happens to have a six-character name.
      unreadable += 1;
      options.logger.warn({ file, reason: staged.detail }, 'not an upstream staged record; left alone');
      continue;
    }
    const result = await options.agent.accept(staged.record);
    // A record the agent could not take for lack of room stays for the next start.
    if (result.status === 'dropped' && (result.reason === 'spool_full' || result.reason === 'spool_unwritable')) continue;
    imported += 1;
    // The collector recognises a record imported again after a failed removal (equal in every header and payload).
    await rm(file, { force: true }).catch((error: NodeJS.ErrnoException) => options.logger.warn({ file, code: error.code }, 'imported an upstream staged record but cannot remove it'));
  }
  if (imported > 0) options.logger.info({ records: imported }, 'imported records staged by upstream telemprobd');
  return { imported, unreadable };
}
