/**
 * The Host header check that defeats DNS rebinding: a page on attacker.example can make its own
 * name resolve to 127.0.0.1 and then read a collector bound to loopback, but its requests still
 * carry "Host: attacker.example". So only the names the collector is known by are answered:
 *   - IP literals (a rebinding attack needs a DNS name, and a page at http://127.0.0.1/ is not
 *     the attacker's), and what upstream clients send when their server URL is an address;
 *   - "localhost" and this machine's hostname (no attacker can serve a page from either);
 *   - the names in collector.allowed_hosts ("*" accepts any).
 * A request without Host (HTTP/1.0) names no site, so no page can be behind it: it is accepted.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { hostname } from 'node:os';

export interface HostCheck {
  /** True when a request with this Host header (undefined when absent) may be answered. */
  allows(host: string | undefined): boolean;
}

/** "Example.ORG.:8080" → "example.org"; "[::1]:8080" → "[::1]". */
function hostName(host: string): string {
  const bracketed = /^(\[[^\]]*\])(?::\d*)?$/.exec(host);
  const name = bracketed ? (bracketed[1] as string) : host.replace(/:\d*$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

function isIpLiteral(name: string): boolean {
  return isIPv4(name) || (name.startsWith('[') && name.endsWith(']') && isIPv6(name.slice(1, -1)));
}

export function createHostCheck(allowedHosts: readonly string[], machineName: string = hostname()): HostCheck {
  if (allowedHosts.includes('*')) return { allows: () => true };
  const names = new Set(['localhost', machineName, ...allowedHosts].map(hostName));
  return {
    allows(host) {
      if (host === undefined) return true;
      const name = hostName(host);
      return isIpLiteral(name) || names.has(name);
    },
  };
}
