/** The `*.policy-test.yaml` files `telem test` runs: each path a file, or a folder searched recursively. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';

export const TEST_FILE_PATTERN = /\.policy-test\.ya?ml$/;

/** Folders never searched: dependencies and hidden folders (.git) hold no tests of this project. */
const SKIPPED = (name: string): boolean => name === 'node_modules' || name.startsWith('.');

async function walk(dir: string, found: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED(entry.name)) await walk(full, found);
    else if (entry.isFile() && TEST_FILE_PATTERN.test(entry.name)) found.push(full);
  }
}

export async function findTestFiles(paths: readonly string[]): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const given of paths) {
    const missing = (message: string): void => {
      diagnostics.push({ code: 'test-file-not-found', severity: 'error', message, path: [], file: given });
    };
    let info;
    try {
      info = await stat(given);
    } catch (error) {
      missing(`no such file or folder (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      continue;
    }
    if (info.isDirectory()) {
      const before = files.length;
      await walk(given, files);
      if (files.length === before) missing('no *.policy-test.yaml file in this folder or below it');
    } else files.push(given);
  }
  return { files, diagnostics };
}
