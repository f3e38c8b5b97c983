/**
 * Taking the core the kernel pipes to the handler. The unwinders need a file they can seek in,
 * so it is written to one only its owner can read (mode 0600, in a directory of mode 0700):
 * a temporary one removed afterwards, or the keep_core directory, where it stays. The input is
 * always read to its end, whether the core is stored or not: the kernel is writing it, and the
 * crashed process is not gone until it has.
 */
import { mkdir, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface ReceiveOptions {
  readonly input: AsyncIterable<Buffer | string>;
  /** Store the core at all (a filtered crash with no keep_core is only drained). */
  readonly store: boolean;
  /** A directory to keep the core in, or null for a temporary file. */
  readonly keepDir: string | null;
  /** Names the kept file: core.<name>.<pid>.<epoch ms>. */
  readonly name: string;
  readonly pid: number | null;
  /** Epoch ms after which nothing more is stored (the rest is still read). */
  readonly storeUntil: number;
}

export interface ReceivedCore {
  /** The stored core, or null when it was not stored. */
  readonly file: string | null;
  /** Whether the file stays (keep_core). */
  readonly kept: boolean;
  /** Every byte the input had. */
  readonly bytes: number;
  /** Why the stored core is missing or incomplete, or null. */
  readonly problem: string | null;
  /** Removes a temporary core; a kept one stays. */
  discard(): Promise<void>;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'unknown';
}

async function createTarget(options: ReceiveOptions): Promise<{ file: string; handle: FileHandle; cleanup: () => Promise<void> }> {
  if (options.keepDir !== null) {
    await mkdir(options.keepDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.keepDir, `core.${safeName(options.name)}.${options.pid ?? 'unknown'}.${Date.now()}`);
    return { file, handle: await open(file, 'wx', 0o600), cleanup: async () => undefined };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'telem-crash-'));
  const file = path.join(dir, 'core');
  return { file, handle: await open(file, 'wx', 0o600), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

export async function receiveCore(options: ReceiveOptions): Promise<ReceivedCore> {
  let target: Awaited<ReturnType<typeof createTarget>> | null = null;
  let problem: string | null = null;
  if (options.store) {
    target = await createTarget(options).catch((error: unknown) => {
      problem = `the core could not be stored (${options.keepDir ?? os.tmpdir()}): ${reason(error)}`;
      return null;
    });
  }
  let writing = target !== null;
  let bytes = 0;
  for await (const chunk of options.input) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += data.length;
    if (!writing || target === null) continue;
    if (Date.now() > options.storeUntil) {
      writing = false;
      problem = `the core was still arriving at the timeout; ${bytes - data.length} bytes were stored`;
      continue;
    }
    try {
      await target.handle.write(data);
    } catch (error) {
      writing = false;
      problem = `the core could not be stored: ${reason(error)}`;
    }
  }
  if (target === null) return { file: null, kept: false, bytes, problem, discard: async () => undefined };
  const stored = target;
  await stored.handle.close();
  return { file: stored.file, kept: options.keepDir !== null, bytes, problem, discard: stored.cleanup };
}
