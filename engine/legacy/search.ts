/**
 * Upstream's file search order (reference §D.1): a file named on the command line, else
 * /etc/telemetrics/telemetrics.conf, else /usr/share/defaults/telemetrics/telemetrics.conf, else
 * the compiled defaults. The first file found is the whole configuration: keys it leaves out take
 * the compiled default, never a value from the next file. System paths resolve under the root.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { underRoot } from '../paths/root.js';
import { type Translation, translateCompiledDefaults, translateConf } from './translate.js';

export const ETC_CONF = '/etc/telemetrics/telemetrics.conf';
export const SHARE_CONF = '/usr/share/defaults/telemetrics/telemetrics.conf';

export type ConfOrigin = 'explicit' | 'etc' | 'share' | 'compiled-defaults';

export interface FoundConf {
  /** The file to read (under the root for system paths), or null for the compiled defaults. */
  readonly file: string | null;
  readonly origin: ConfOrigin;
  /** Where upstream would have looked, in order, as paths under the root. */
  readonly searched: readonly string[];
}

export interface SearchOptions {
  /** A file named by the user (resolved against `cwd`); the search stops here. */
  readonly file?: string | undefined;
  /** The root system paths resolve under (see engine/paths/root.ts). */
  readonly root: string;
  readonly cwd?: string;
}

async function readable(file: string): Promise<boolean> {
  try {
    await access(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export async function findTelemetricsConf(options: SearchOptions): Promise<FoundConf> {
  if (options.file !== undefined) return { file: options.file, origin: 'explicit', searched: [options.file] };
  const candidates = [
    { file: underRoot(options.root, ETC_CONF), origin: 'etc' as const },
    { file: underRoot(options.root, SHARE_CONF), origin: 'share' as const },
  ];
  const searched = candidates.map((candidate) => candidate.file);
  for (const candidate of candidates) {
    if (await readable(candidate.file)) return { ...candidate, searched };
  }
  return { file: null, origin: 'compiled-defaults', searched };
}

export interface LoadedConf {
  readonly found: FoundConf;
  /** Null when the file found could not be read (see diagnostics). */
  readonly translation: Translation | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** Finds the file upstream would use and translates it. */
export async function loadTelemetricsConf(options: SearchOptions): Promise<LoadedConf> {
  const found = await findTelemetricsConf(options);
  if (found.file === null) return { found, translation: translateCompiledDefaults(), diagnostics: [] };
  const absolute = path.resolve(options.cwd ?? process.cwd(), found.file);
  try {
    // Upstream insists on a regular file for a named one; a directory cannot be read either way.
    if (!(await stat(absolute)).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    const text = await readFile(absolute, 'utf8');
    return { found, translation: translateConf({ file: found.file, text }), diagnostics: [] };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return {
      found,
      translation: null,
      diagnostics: [{ code: 'file-unreadable', severity: 'error', message: `cannot read telemetrics.conf: ${reason}`, path: [], file: found.file }],
    };
  }
}
