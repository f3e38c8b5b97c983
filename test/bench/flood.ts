/**
 * The intake load generator: test/bench/c/probe-flood.c, compiled here with the system's C
 * compiler, so many probe-like clients can connect at once without a Node client being the limit.
 * Without a compiler the Node generator in load.ts is used instead (and the report says so).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fromRoot } from '../helpers/paths.js';
import { type LoadResult, socketLoad } from './load.js';

const run = promisify(execFile);

/** The 24-character slot probe-flood fills with "index-sendtime_ms" in each record. */
export const FLOOD_MARKER = '@'.repeat(24);

export async function buildFloodTool(work: string): Promise<string | null> {
  const binary = path.join(work, 'probe-flood');
  try {
    await run('cc', ['-O2', '-o', binary, fromRoot('test', 'bench', 'c', 'probe-flood.c')]);
    return binary;
  } catch {
    return null;
  }
}

export async function floodLoad(options: { tool: string | null; work: string; path: string; frame: Buffer; total: number; concurrency: number }): Promise<LoadResult> {
  if (options.tool === null) return socketLoad(options);
  const frameFile = path.join(options.work, `frame-${process.hrtime.bigint()}`);
  await writeFile(frameFile, options.frame);
  const started = process.hrtime.bigint();
  await run(options.tool, [options.path, frameFile, String(options.total), String(options.concurrency)]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { count: options.total, seconds, perSecond: options.total / seconds };
}

