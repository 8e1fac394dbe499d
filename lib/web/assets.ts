/**
 * The dashboard's static side: index.html and lib/web/assets/* (no build step), and the vendor ES
 * modules (preact, htm, uPlot) straight from node_modules, each at a fixed URL the page's importmap
 * names. Files are read once and kept in memory with a strong ETag (304 on If-None-Match); index.html
 * is never cached by the browser, the rest for an hour. Only files inside the assets folder are
 * served (a path that climbs out, or is not plain, is a 404). Every answer carries the CSP: scripts
 * from 'self' plus the sha256 of index.html's inline importmap, no other origin at all.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MicroError } from '../core/errors/micro-error.js';
import { WEB_ERROR_ID } from './options.js';

const require = createRequire(import.meta.url);

/** `<base>/vendor/<name>` → a package and a file inside it. */
export const VENDOR_FILES: Readonly<Record<string, readonly [pkg: string, file: string]>> = {
  'preact.mjs': ['preact', 'dist/preact.mjs'],
  'preact-hooks.mjs': ['preact', 'hooks/dist/hooks.mjs'],
  'htm.mjs': ['htm', 'dist/htm.mjs'],
  'uplot.mjs': ['uplot', 'dist/uPlot.esm.js'],
  'uplot.css': ['uplot', 'dist/uPlot.min.css'],
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  cache: string;
}

/** The assets folder: beside this module (the bundle's web-assets), else the source checkout's. */
export function findAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'web-assets'), // dist/pkg/web.js
    join(here, '..', 'web-assets'), // dist/pkg/chunks/*.js
    join(here, 'assets'), // lib/web/dashboard.ts (source)
    join(here, '..', '..', '..', 'lib', 'web', 'assets'), // dist/lib/web (tsc output)
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found)
    throw new Error(
      `nest-micro web: the dashboard's assets were not found (looked in ${candidates.join(', ')})`,
    );
  return found;
}

/** The folder of an installed package (its exports map may hide package.json). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name
    )
      return dir;
    dir = dirname(dir);
  }
  throw new Error(`nest-micro web: package ${name} not found`);
}

/** The sha256 CSP source of each inline `<script type="importmap">` of the page. */
export function importmapHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b[^>]*type=["']?importmap["']?[^>]*>([\s\S]*?)<\/script>/gi))
    hashes.push(`'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  return hashes;
}

export function contentSecurityPolicy(hashes: readonly string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self'${hashes.map((h) => ` ${h}`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export class StaticAssets {
  readonly dir: string;
  readonly csp: string;
  private readonly cache = new Map<string, Asset>();
  private readonly vendorDirs = new Map<string, string>();

  constructor(dir?: string) {
    this.dir = resolve(dir ?? findAssetsDir());
    const index = this.load(join(this.dir, 'index.html'), 'no-cache');
    if (!index) throw new Error(`nest-micro web: ${this.dir} has no index.html`);
    this.csp = contentSecurityPolicy(importmapHashes(index.body.toString('utf8')));
  }

  /** Headers every answer of the dashboard carries. */
  securityHeaders(): Record<string, string> {
    return {
      'Content-Security-Policy': this.csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    };
  }

  /**
   * Serves `path` (relative to the dashboard's base: '' or '/' is the page, 'assets/…', 'vendor/…');
   * false when it is not a static path (the caller answers 404 or routes it elsewhere).
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const asset = this.find(path);
    if (!asset) return false;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      throw MicroError.methodNotAllowed(WEB_ERROR_ID, `${method} is not allowed here; use GET`);
    const headers = {
      ...this.securityHeaders(),
      'Content-Type': asset.type,
      'Cache-Control': asset.cache,
      ETag: asset.etag,
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(asset.body.length) });
    res.end(method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  private find(path: string): Asset | undefined {
    const clean = path.replace(/^\/+/, '');
    if (clean === '' || clean === 'index.html') return this.load(join(this.dir, 'index.html'), 'no-cache');
    if (clean.startsWith('vendor/')) {
      const vendor = VENDOR_FILES[clean.slice('vendor/'.length)];
      if (!vendor) return undefined;
      return this.load(join(this.vendorDir(vendor[0]), vendor[1]), 'public, max-age=3600');
    }
    if (!clean.startsWith('assets/')) return undefined;
    const rest = safeDecode(clean.slice('assets/'.length));
    // plain names only: no '..', no backslash, no NUL, no hidden files, inside the folder
    if (rest === undefined || rest === '' || /(^|\/)\.|\\|\0/.test(rest)) return undefined;
    const file = resolve(this.dir, rest);
    const inside = relative(this.dir, file);
    if (inside.startsWith('..') || inside.startsWith(sep) || file === this.dir) return undefined;
    return this.load(file, 'no-cache');
  }

  private vendorDir(pkg: string): string {
    let dir = this.vendorDirs.get(pkg);
    if (!dir) this.vendorDirs.set(pkg, (dir = packageDir(pkg)));
    return dir;
  }

  private load(file: string, cache: string): Asset | undefined {
    const known = this.cache.get(file);
    if (known) return known;
    try {
      if (!statSync(file).isFile()) return undefined;
    } catch {
      return undefined;
    }
    const body = readFileSync(file);
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    const asset = {
      body,
      type: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      etag,
      cache,
    };
    this.cache.set(file, asset);
    return asset;
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
