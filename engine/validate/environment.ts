/**
 * `telem validate --environment`: whether this machine can run the policy, beyond the policy
 * itself: the directories the agent writes, the CA files it reads, the hosts it sends to. Each
 * finding is a warning (the machine may be set up after validation), placed on the setting it is about.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import path from 'node:path';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { Diagnostic, DiagnosticCode, KeyPath } from '../diagnostics/diagnostic.js';
import { underRoot } from '../paths/root.js';

const LOOKUP_TIMEOUT_MS = 3000;

/** Why the agent could not create or write the directory, or null when it can. */
async function unwritableDir(dir: string): Promise<string | null> {
  let current = dir;
  for (;;) {
    // ENOTDIR: a file on the way; walking up finds it and says so.
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' || error.code === 'ENOTDIR' ? null : error));
    if (info instanceof Error) return `${current}: ${info.code ?? info.message}`;
    if (info !== null) {
      if (!info.isDirectory()) return `${current} is not a directory`;
      const ok = await access(current, constants.W_OK | constants.X_OK).then(
        () => true,
        () => false,
      );
      return ok ? null : `${current} is not writable${current === dir ? '' : ', so it cannot be created'}`;
    }
    const parent = path.dirname(current);
    if (parent === current) return `${dir} cannot be created`;
    current = parent;
  }
}

function warning(code: DiagnosticCode, message: string, keyPath: KeyPath): Diagnostic {
  return { code, severity: 'warning', message, path: keyPath };
}

async function resolves(host: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${LOOKUP_TIMEOUT_MS / 1000} s`), LOOKUP_TIMEOUT_MS)));
  try {
    return await Promise.race([
      lookup(host).then(
        () => null,
        (error: NodeJS.ErrnoException) => error.code ?? error.message,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkEnvironment(policy: ResolvedPolicy, options: { root: string }): Promise<Diagnostic[]> {
  const at = (systemPath: string) => underRoot(options.root, systemPath);
  const dirs: [string, KeyPath, string][] = [
    [path.dirname(policy.intake.socket), ['intake', 'socket'], 'the intake socket'],
    [policy.spool.dir, ['spool', 'dir'], 'the spool'],
    [path.dirname(policy.retention.journal), ['retention', 'journal'], 'the journal'],
  ];
  if (policy.retention.keep_payloads > 0) dirs.push([policy.retention.payload_dir, ['retention', 'payload_dir'], 'retained payloads']);
  const checks: Promise<Diagnostic | null>[] = dirs.map(async ([dir, keyPath, what]) => {
    const problem = await unwritableDir(at(dir));
    return problem === null ? null : warning('environment-dir', `the agent cannot write ${what} here: ${problem}`, keyPath);
  });
  for (const [name, destination] of Object.entries(policy.destinations)) {
    if (destination.type === 'http') {
      if (destination.ca_file !== null) {
        const file = at(destination.ca_file);
        checks.push(
          access(file, constants.R_OK).then(
            () => null,
            (error: NodeJS.ErrnoException) =>
              warning('environment-ca-file', `destination "${name}": cannot read the CA file ${file}: ${error.code ?? error.message}`, ['destinations', name, 'ca_file']),
          ),
        );
      }
      const host = new URL(destination.url).hostname.replace(/^\[|\]$/g, '');
      checks.push(
        resolves(host).then((problem) =>
          problem === null ? null : warning('environment-unresolvable', `destination "${name}": ${host} does not resolve here (${problem})`, ['destinations', name, 'url']),
        ),
      );
    } else if (destination.type === 'file') {
      checks.push(
        unwritableDir(at(path.dirname(destination.path))).then((problem) =>
          problem === null ? null : warning('environment-file-destination', `destination "${name}": cannot write its file here: ${problem}`, ['destinations', name, 'path']),
        ),
      );
    }
  }
  return (await Promise.all(checks)).filter((diagnostic): diagnostic is Diagnostic => diagnostic !== null);
}
