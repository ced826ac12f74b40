// @ts-nocheck
// Static admin pages from public/: `/` is index.html, content types by extension, and no
// path ever resolves outside the directory (decoded, normalised, then checked again after
// following symlinks).
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, posix, resolve, sep } from 'node:path';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { Reply } from './http-util.js';

export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
});

const notFound = (): TickverseError => new TickverseError(ErrorCode.NOT_FOUND, 'no such file');

const FALLBACK_INDEX = `<!doctype html><html><head><meta charset="utf-8"><title>Tickverse</title></head>
<body><h1>Tickverse gateway</h1><p>The admin pages are not installed (public/index.html is missing).</p>
<ul><li><a href="/api/health">/api/health</a></li><li><a href="/api/realms">/api/realms</a></li>
<li><a href="/api/stats">/api/stats</a></li><li><a href="/metrics">/metrics</a></li><li>WebSocket: <code>/ws</code></li></ul></body></html>\n`;

export class StaticFiles {
  private rootReal: string | null = null;

  constructor(private readonly root: string) {}

  /** Maps a raw request path to a file inside the root; throws NOT_FOUND for anything else. */
  async resolvePath(urlPath: string): Promise<string> {
    let p: string;
    try {
      p = decodeURIComponent(urlPath);
    } catch {
      throw notFound();
    }
    if (p.includes('\0') || p.includes('\\')) throw notFound();
    const normal = posix.normalize(`/${p}`);
    if (normal.split('/').includes('..')) throw notFound();
    const rel = normal.endsWith('/') ? `${normal}index.html` : normal;
    const root = resolve(this.root);
    let full = resolve(join(root, rel));
    if (full !== root && !full.startsWith(root + sep)) throw notFound();
    this.rootReal ??= await realpath(root).catch(() => root);
    let real: string;
    try {
      real = await realpath(full);
    } catch {
      throw notFound();
    }
    if (!real.startsWith(this.rootReal + sep)) throw notFound();
    const st = await stat(real);
    if (st.isDirectory()) {
      full = join(real, 'index.html');
      real = await realpath(full).catch(() => {
        throw notFound();
      });
      if (!real.startsWith(this.rootReal + sep)) throw notFound();
    }
    return real;
  }

  async serve(urlPath: string): Promise<Reply> {
    let file: string;
    try {
      file = await this.resolvePath(urlPath);
    } catch (e) {
      if (urlPath === '/' || urlPath === '/index.html') return { status: '200 OK', type: CONTENT_TYPES['.html']!, body: FALLBACK_INDEX };
      throw e;
    }
    const body = await readFile(file);
    return { status: '200 OK', type: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', body };
  }
}
