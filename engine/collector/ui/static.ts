/** The web UI: three plain files (no framework, no CDN) read once and served from memory. */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

// Compiled to dist/engine/collector/ui/; the assets stay in the source tree (listed in package.json "files").
const ASSETS = new URL('../../../../engine/collector/ui/assets/', import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

let cache: Map<string, Buffer> | undefined;

function load(): Map<string, Buffer> {
  cache ??= new Map(Object.entries(FILES).map(([route, { file }]) => [route, readFileSync(new URL(file, ASSETS))]));
  return cache;
}

export function isAsset(pathname: string): boolean {
  return pathname in FILES;
}

export function sendAsset(pathname: string, res: ServerResponse): void {
  const body = load().get(pathname) as Buffer;
  res.writeHead(200, {
    'Content-Type': (FILES[pathname] as { type: string }).type,
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    // Payloads are shown as text only; the policy forbids anything but our own script and styles.
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
