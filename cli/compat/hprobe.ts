#!/usr/bin/env node
/** Upstream's hprobe name for timers and scripts that call it: `telem hprobe` (TELEM_ROOT replaces --root). */
import { hprobeCommand } from '../commands/hprobe.js';
import { runProgram } from '../run-program.js';

await runProgram(hprobeCommand({ name: 'hprobe' }).exitOverride());
