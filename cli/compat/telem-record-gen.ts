#!/usr/bin/env node
/** Upstream's telem-record-gen name for scripts that call it: `telem record` (TELEM_ROOT replaces --root). */
import { recordCommand } from '../commands/record.js';
import { runProgram } from '../run-program.js';

await runProgram(recordCommand({ name: 'telem-record-gen' }).exitOverride());
