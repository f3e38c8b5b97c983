/**
 * The hello/heartbeat record of upstream's hprobe (reference §E.12): org.clearlinux/hello/world,
 * or org.clearlinux/heartbeat/ping, with the payload "hello\n" plus, on request, the locale, the
 * uptime and the installed Clear Linux bundles.
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { TelemError } from '../errors/telem-error.js';
import { underRoot } from '../paths/root.js';
import { MAX_PAYLOAD_BYTES } from '../record/payload.js';
import { type ProbeRecord, createRecord, setPayload } from './record.js';

export const BUNDLES_DIR = '/usr/share/clear/bundles';
const TRUNCATION_MARK = '...\n';

export interface HelloOptions extends HelloPayloadOptions {
  /** A heartbeat record instead of a hello. */
  readonly heartbeat?: boolean | undefined;
}

/** Whole bundle names until the payload limit, then "...": a long list is cut visibly, never mid-name. */
function appendBundles(payload: string, names: readonly string[]): string {
  let text = `${payload}\nBundles (${names.length}):\n`;
  for (const [index, name] of names.entries()) {
    const line = `${name}\n`;
    const reserve = index === names.length - 1 ? 0 : TRUNCATION_MARK.length;
    if (Buffer.byteLength(text) + Buffer.byteLength(line) + reserve > MAX_PAYLOAD_BYTES) return text + TRUNCATION_MARK;
    text += line;
  }
  return text;
}

export interface HelloPayloadOptions {
  readonly root: string;
  readonly locale?: boolean | undefined;
  readonly uptime?: boolean | undefined;
  readonly bundles?: boolean | undefined;
  /** Where LC_ALL and LANG are read; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The payload of `hprobe [-l] [-u] [-b]`, shared by `telem hprobe` and the agent's heartbeat probe;
 * a bundle directory that cannot be listed is a TelemError (system).
 */
export async function helloPayload(options: HelloPayloadOptions): Promise<string> {
  const env = options.env ?? process.env;
  let payload = 'hello\n';
  // setlocale(LC_ALL, NULL) after setlocale(LC_ALL, ""): the environment's locale, else "C".
  if (options.locale) payload += `LC_ALL: ${env.LC_ALL || env.LANG || 'C'}\n`;
  if (options.uptime) payload += `uptime: ${Math.floor(os.uptime())}\n`;
  if (options.bundles) {
    const dir = underRoot(options.root, BUNDLES_DIR);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
    } catch (error) {
      throw new TelemError('system', `cannot list the bundles in ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
    payload = appendBundles(payload, names);
  }
  return payload;
}

/** Builds the record; a bundle directory that cannot be listed is a TelemError (system). */
export async function helloRecord(options: HelloOptions): Promise<ProbeRecord> {
  const payload = await helloPayload(options);
  const classification = options.heartbeat ? 'org.clearlinux/heartbeat/ping' : 'org.clearlinux/hello/world';
  return setPayload(await createRecord({ classification, severity: 1, payloadVersion: 1, root: options.root }), payload);
}
