/**
 * Notices when the policy file changes. Watches the directory rather than the file, since
 * editors and config managers replace files by rename; a short debounce folds the burst of
 * events one save makes into one reload.
 */
import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';

export interface PolicyWatcher {
  close(): void;
}

export function watchPolicyFile(file: string, onChange: () => void, debounceMs = 200): PolicyWatcher {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  let timer: NodeJS.Timeout | null = null;
  const watcher: FSWatcher = watch(dir, { persistent: false }, (_event, name) => {
    if (name !== null && name !== base) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
