/**
 * `telem dev` / `npm start`: a collector (SQLite) and an agent delivering to it, in one process,
 * under a local root so nothing touches /etc or /var. Host facts (/proc, /sys, os-release) are
 * linked in from the real system, so records look like this machine's.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type RunningCollector, startCollector } from '../collector/collector.js';
import { defaultCollectorSettings } from '../collector/config/settings.js';
import { optIn } from '../consent/opt-in.js';
import type { Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import { AGENT_POLICY_DIR } from '../load/agent-policy.js';
import { type Runtime, startRuntime } from '../agent/runtime.js';
import { spoolLockFile, takeLock } from '../spool/dir-lock.js';
import { spoolSchema } from '../../schemas/spool.js';
import { devPolicyYaml } from './dev-policy.js';

export interface DevStack {
  readonly root: string;
  readonly collector: RunningCollector;
  readonly runtime: Runtime;
  readonly policyFile: string;
  readonly recordsFile: string;
  stop(): Promise<void>;
}

const HOST_FACTS = ['/proc', '/sys', '/etc/os-release', '/usr/lib/os-release'];

async function linkHostFacts(root: string): Promise<void> {
  for (const fact of HOST_FACTS) {
    const target = underRoot(root, fact);
    await mkdir(path.dirname(target), { recursive: true });
    await symlink(fact, target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

export async function startDevStack(options: { root: string; listen: string; logger: Logger }): Promise<DevStack> {
  const root = path.resolve(options.root);
  await mkdir(root, { recursive: true });
  await linkHostFacts(root);
  await optIn({ root }).catch(() => undefined);
  // The running stack's policy must not be rewritten by a second `telem dev` that cannot start:
  // its spool lock is taken before the policy is written (the agent takes the same lock again).
  const spoolDir = underRoot(root, spoolSchema.parse(undefined).dir);
  const spoolLock = takeLock(spoolLockFile(spoolDir), `the spool ${spoolDir}`);
  let collector: RunningCollector;
  try {
    // No login on a local playground: collector.auth none, which the collector allows on loopback only.
    collector = await startCollector({ settings: { ...defaultCollectorSettings(), listen: options.listen, auth: 'none' }, root, logger: options.logger });
  } catch (error) {
    spoolLock.release();
    throw error;
  }
  const policyFile = path.join(underRoot(root, AGENT_POLICY_DIR), 'telem.policy.yaml');
  try {
    await mkdir(path.dirname(policyFile), { recursive: true });
    await writeFile(policyFile, devPolicyYaml(collector.url));
    const runtime = await startRuntime({ root, logger: options.logger }).finally(() => spoolLock.release());
    return {
      root,
      collector,
      runtime,
      policyFile,
      recordsFile: underRoot(root, '/var/log/telemetry/records.ndjson'),
      async stop() {
        await runtime.stop();
        await collector.close();
      },
    };
  } catch (error) {
    await collector.close();
    throw error;
  }
}
