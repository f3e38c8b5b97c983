/**
 * The built-in probes of this build: one import and one entry per probe. It lives in a folder of
 * its own because it imports every probe's folder, and each of those imports the contract in
 * engine/probes/ (a folder may not import its children and be imported by them).
 */
import { heartbeatProbe } from '../heartbeat/probe.js';
import type { ProbeRegistry } from '../registry.js';

export const PROBES: ProbeRegistry = {
  heartbeat: heartbeatProbe,
};
