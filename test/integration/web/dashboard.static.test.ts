// MicroDashboard's static side: the page and its assets, the vendor ES modules from node_modules,
// the CSP (with the importmap's hash) on every answer, ETag revalidation, and no way out of the
// assets folder.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import type { GatewayClient } from '../../../lib/gateway/index.js';
import { MicroDashboard, VENDOR_FILES } from '../../../lib/web/index.js';

const client: GatewayClient = {
  call: () => Promise.reject(new Error('no calls')),
  stream: () => (async function* () {})(),
  publish: () => Promise.resolve(),
};

/** A GET with the path sent as it is (fetch would normalise `..` away). */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('MicroDashboard static files', () => {
  let dashboard: MicroDashboard;
  let base: string;

  beforeAll(async () => {
    dashboard = new MicroDashboard({ client, registry: new MemoryRegistry(), rateLimit: false });
    base = `http://${await dashboard.listen('127.0.0.1:0')}`;
  });

  afterAll(() => dashboard?.close());

  it("serves the page with a CSP naming the importmap's sha256 and no other origin", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(map).digest('base64');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves every vendor module from node_modules, with an ETag and a 304 on revalidation', async () => {
    for (const [name, [pkg, file]] of Object.entries(VENDOR_FILES)) {
      const res = await fetch(`${base}/vendor/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toMatch(
        name.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      expect(await res.text()).toBe(readFileSync(`node_modules/${pkg}/${file}`, 'utf8'));
      const etag = res.headers.get('etag')!;
      const again = await fetch(`${base}/vendor/${name}`, { headers: { 'If-None-Match': etag } });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${base}/vendor/react.mjs`)).status).toBe(404);
  });

  it('refuses any path out of the assets folder', async () => {
    for (const path of [
      '/assets/../../../package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/dashboard.ts',
      '/assets/..\\..\\dashboard.ts',
      '/assets//etc/passwd',
      '/assets/.hidden',
      '/assets/',
      '/../../package.json',
      '/vendor/../package.json',
      '/lib/web/dashboard.ts',
    ])
      expect(await rawGet(base, path), path).toBe(404);
  });

  it('redirects a mounted dashboard without its trailing slash, so relative URLs resolve', async () => {
    const mounted = new MicroDashboard({ client, registry: new MemoryRegistry() });
    const seen: Array<{ status: number; location?: string }> = [];
    const res = {
      writeHead(status: number, headers: Record<string, string>) {
        seen.push({ status, location: headers.Location });
        return { end: () => undefined };
      },
    };
    mounted.handle({ url: '/dash?x=1', headers: {} } as never, res as never, '');
    expect(seen).toEqual([{ status: 308, location: '/dash/?x=1' }]);
    await mounted.close();
  });
});
