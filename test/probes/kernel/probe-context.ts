/** A ProbeContext for tests: a temporary root and state directory, a virtual clock, and an emit that records what it was handed. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../engine/log/logger.js';
import type { ProbeContext, ProbeEvent } from '../../../engine/probes/probe.js';
import { tempDir } from '../../helpers/tmp.js';
import { VirtualClock } from '../../helpers/virtual-clock.js';

export const BOOT_ID = '0f6b2a4e-6c1d-4b8e-9a51-3d2c7e9f1a20';

export interface TestProbeContext extends ProbeContext {
  readonly clock: VirtualClock;
  /** Every event handed to emit, in order. */
  readonly events: ProbeEvent[];
  /** What emit answers; replace to hold an emit open or refuse one. */
  answer: (event: ProbeEvent) => Promise<boolean>;
}

/** A root with /proc/sys/kernel/random/boot_id (and /proc/uptime), and a context whose state directory is under it. */
export async function probeContext(t: TestContext, options: { root?: string; bootId?: string; clock?: VirtualClock } = {}): Promise<TestProbeContext> {
  const root = options.root ?? (await tempDir(t, 'telem-probe-'));
  await writeBootId(root, options.bootId ?? BOOT_ID);
  await writeFile(path.join(root, 'proc', 'uptime'), '1000.50 3900.12\n');
  const stateDir = path.join(root, 'var', 'lib', 'telem', 'probes', 'test');
  const events: ProbeEvent[] = [];
  const context: TestProbeContext = {
    root,
    logger: silentLogger,
    stateDir,
    clock: options.clock ?? new VirtualClock(),
    events,
    answer: () => Promise.resolve(true),
    emit: (event) => {
      events.push(event);
      return context.answer(event);
    },
  };
  return context;
}

export async function writeBootId(root: string, bootId: string): Promise<void> {
  await mkdir(path.join(root, 'proc', 'sys', 'kernel', 'random'), { recursive: true });
  await writeFile(path.join(root, 'proc', 'sys', 'kernel', 'random', 'boot_id'), `${bootId}\n`);
}

/** Waits until `condition` holds, polling every 10 ms, and fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
