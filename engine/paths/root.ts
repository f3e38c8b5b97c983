/**
 * Every absolute path telem uses (/etc/telemetrics/…, /var/spool/telemetry, /run/telem-0, …)
 * resolves under a root directory, so tests and unprivileged users never touch the real /etc
 * or /var. The root comes from `--root DIR`, else the TELEM_ROOT variable, else "/".
 */
import path from 'node:path';

export interface RootOptions {
  /** Explicit root (the --root option). */
  readonly root?: string | undefined;
  /** Environment to read TELEM_ROOT from; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The effective root directory, absolute. */
export function resolveRoot(options: RootOptions = {}): string {
  const root = options.root ?? (options.env ?? process.env).TELEM_ROOT ?? '/';
  return path.resolve(root === '' ? '/' : root);
}

/** Maps an absolute system path (such as /etc/telemetrics/opt-in) under the root; relative paths are left alone. */
export function underRoot(root: string, systemPath: string): string {
  if (!path.isAbsolute(systemPath) || root === '/') return systemPath;
  return path.join(root, systemPath);
}
