/**
 * Whether a collector may serve its read side without login: `collector.auth: none` is for a
 * collector only this machine can reach. It is decided from the configured addresses before
 * anything listens, so a collector that would expose every record never opens its port.
 */
import net from 'node:net';
import { TelemError } from '../../errors/telem-error.js';
import { type CollectorSettings, parseListen } from '../config/settings.js';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and "localhost"; any other name may resolve anywhere. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = net.isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ExposureOptions {
  /** --insecure-no-auth: serve without login on any address, with a warning. */
  readonly insecureNoAuth?: boolean;
}

/**
 * Checks collector.auth against the addresses; returns the warning to log, if any. With
 * listen_api set, `listen` serves only ingest, /healthz and the control document, none of which
 * needs a login, so only the API address counts.
 */
export function checkExposure(settings: Pick<CollectorSettings, 'auth' | 'listen' | 'listen_api'>, options: ExposureOptions = {}): string | null {
  if (settings.auth !== 'none') return null;
  const serving = settings.listen_api ?? settings.listen;
  const host = parseListen(serving)?.host;
  const loopback = host !== undefined && isLoopbackHost(host);
  if (options.insecureNoAuth === true) {
    return loopback
      ? `the web UI and query API on ${serving} are served without login (--insecure-no-auth)`
      : `the web UI and query API on ${serving} are served without login to anyone who can reach it (--insecure-no-auth)`;
  }
  if (loopback || host === undefined) return null;
  throw new TelemError('auth-required', `refusing to serve the web UI and query API without login (collector.auth: none) on ${serving}, which is not a loopback address`, {
    hint: 'set collector.auth: tokens and create a token with "telem collector token create --name NAME --role admin", or start with --insecure-no-auth to serve them without login anyway',
  });
}
