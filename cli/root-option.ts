/** The global --root option: every system path resolves under it (TELEM_ROOT or / without it). */
import type { Command } from 'commander';
import { resolveRoot } from '../engine/paths/root.js';

export function rootOf(command: Command): string {
  return resolveRoot({ root: command.optsWithGlobals<{ root?: string }>().root });
}
