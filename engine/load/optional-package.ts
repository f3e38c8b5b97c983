/**
 * Packages only some machines need (better-sqlite3 and pg for the collector, tsx for .ts
 * policies) are optional dependencies: an agent-only machine installs with
 * `npm install --omit=optional`. Loading one that is missing says which package to install.
 */
import { TelemError } from '../errors/telem-error.js';

/** Runs `load` (a dynamic import of a module that imports `packageName`); a TelemError (package-missing) names the package when it is missing. */
export async function importOptional<T>(packageName: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${packageName}'`)) {
      throw new TelemError('package-missing', `${purpose} needs the package "${packageName}", which is not installed (it is optional): npm install ${packageName}`, {
        cause: error,
      });
    }
    throw error;
  }
}
