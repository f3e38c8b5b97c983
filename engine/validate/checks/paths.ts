/**
 * Paths: every file and directory the agent uses must be absolute. The agent resolves absolute
 * paths under --root; a relative one would resolve against whatever directory it was started
 * in, outside the root, and move whenever it is started from elsewhere.
 */
import path from 'node:path';
import { type Diagnostic, type KeyPath, formatKeyPath } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

/** What each kind of path usually looks like, for the hint. */
const EXAMPLES = {
  socket: '/run/telem-0',
  dir: '/var/spool/telemetry',
  file: '/var/log/telemetry/records.ndjson',
  journal: '/var/log/telemetry/journal',
  payload_dir: '/var/log/telemetry/records',
  ca_file: '/etc/ssl/certs/ca-certificates.crt',
} as const;

export function relativePathDiagnostic(keyPath: KeyPath, value: string, example: string): Diagnostic {
  return {
    code: 'relative-path',
    severity: 'error',
    message: `${formatKeyPath(keyPath)} ${JSON.stringify(value)} must be an absolute path: a relative path would resolve against the agent's working directory, outside --root`,
    path: keyPath,
    hint: `start it with "/", such as "${example}"`,
  };
}

export const checkPaths: Check = (policy) => {
  const places: { path: KeyPath; value: string | null; example: string }[] = [
    { path: ['intake', 'socket'], value: policy.intake.socket, example: EXAMPLES.socket },
    { path: ['spool', 'dir'], value: policy.spool.dir, example: EXAMPLES.dir },
    { path: ['retention', 'journal'], value: policy.retention.journal, example: EXAMPLES.journal },
    { path: ['retention', 'payload_dir'], value: policy.retention.payload_dir, example: EXAMPLES.payload_dir },
  ];
  for (const [name, destination] of Object.entries(policy.destinations)) {
    if (destination.type === 'file') places.push({ path: ['destinations', name, 'path'], value: destination.path, example: EXAMPLES.file });
    if (destination.type === 'http') places.push({ path: ['destinations', name, 'ca_file'], value: destination.ca_file, example: EXAMPLES.ca_file });
  }
  return places
    .filter((place): place is { path: KeyPath; value: string; example: string } => place.value !== null && !path.isAbsolute(place.value))
    .map((place) => relativePathDiagnostic(place.path, place.value, place.example));
};
