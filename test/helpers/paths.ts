/** Locations tests need: tests run compiled from dist/test/, fixtures live in the source tree. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (the folder holding package.json). */
export const repoRoot = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));

export function fromRoot(...segments: string[]): string {
  return path.join(repoRoot, ...segments);
}

export const cliEntry = fromRoot('dist', 'cli', 'telem.js');
