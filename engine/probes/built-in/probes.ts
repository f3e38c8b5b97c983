/**
 * The built-in probes of this build: one import and one entry per probe. It lives in a folder of
 * its own because it imports every probe's folder, and each of those imports the contract in
 * engine/probes/ (a folder may not import its children and be imported by them).
 */
import { bertProbe } from '../bert/probe.js';
import { crashesProbe } from '../crashes/probe.js';
import { heartbeatProbe } from '../heartbeat/probe.js';
import { journalProbe } from '../journal/probe.js';
import { kernelProbe } from '../kernel/probe.js';
import { pstoreProbe } from '../pstore/probe.js';
import type { CompleteRegistry } from '../registry.js';

export const PROBES: CompleteRegistry = {
  heartbeat: heartbeatProbe,
  kernel: kernelProbe,
  pstore: pstoreProbe,
  bert: bertProbe,
  crashes: crashesProbe,
  journal: journalProbe,
};
