/** The web UI: plain files (no framework, no CDN) read once and served from memory, and the login page. */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

// Compiled to dist/engine/collector/ui/; the assets stay in the source tree (listed in package.json "files").
const ASSETS = new URL('../../../../engine/collector/ui/assets/', import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
  '/ui/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/ui/crash-group.js': { file: 'crash-group.js', type: 'text/javascript; charset=utf-8' },
  '/ui/population.js': { file: 'population.js', type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Served with every page: payloads are shown as text only; nothing but our own script, styles and forms, and no framing (clickjacking). */
const PAGE_HEADERS = {
  'Cache-Control': 'no-cache',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
} as const;

let cache: Map<string, Buffer> | undefined;
let loginPage: string | undefined;

function load(): Map<string, Buffer> {
  cache ??= new Map(Object.entries(FILES).map(([route, { file }]) => [route, readFileSync(new URL(file, ASSETS))]));
  return cache;
}

export function isAsset(pathname: string): boolean {
  return pathname in FILES;
}

export function sendAsset(pathname: string, res: ServerResponse): void {
  const body = load().get(pathname) as Buffer;
  res.writeHead(200, { 'Content-Type': (FILES[pathname] as { type: string }).type, 'Content-Length': body.length, ...PAGE_HEADERS });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** GET /login, or the answer to a refused login with its reason shown. */
export function sendLoginPage(res: ServerResponse, options: { readonly status: number; readonly message?: string; readonly headers?: Record<string, string> }): void {
  loginPage ??= readFileSync(new URL('login.html', ASSETS), 'utf8');
  const page =
    options.message === undefined ? loginPage : loginPage.replace('<p id="login-error" role="alert" hidden></p>', `<p id="login-error" role="alert">${escapeHtml(options.message)}</p>`);
  const body = Buffer.from(page, 'utf8');
  res.writeHead(options.status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length, ...PAGE_HEADERS, ...options.headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
