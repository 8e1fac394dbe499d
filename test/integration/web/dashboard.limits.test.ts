// What MicroDashboard refuses, with a scripted client that records every call: nothing outside
// the registry is called (404), the body limit (413), the per-IP rate limit (429), and the token
// (401 without it or with a wrong one, in the header or ?token=, for JSON, SSE and WebSocket alike),
// and requests from another origin or for a Host it does not answer to (403), a non-JSON post (415).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry, type Service } from '../../../lib/core/registry/index.js';
import type { GatewayClient } from '../../../lib/gateway/index.js';
import { MicroDashboard, type DashboardOptions } from '../../../lib/web/index.js';
import { StreamSocket } from './web.helpers.js';

const shop: Service = {
  name: 'shop',
  version: '1',
  metadata: {},
  endpoints: [
    { name: 'Shop.Buy', metadata: {} },
    { name: 'orders', metadata: { topic: 'orders', subscriber: 'true' } },
  ],
  nodes: [{ id: 'shop-1', address: '127.0.0.1:1', metadata: {} }],
};

function recordingClient(calls: string[]): GatewayClient {
  return {
    call: async <T>(service: string, endpoint: string): Promise<T> => {
      calls.push(`${service}.${endpoint}`);
      return { ok: true } as T;
    },
    stream: (service, endpoint) => {
      calls.push(`stream ${service}.${endpoint}`);
      return (async function* () {})();
    },
    publish: async (topic) => {
      calls.push(`publish ${topic}`);
    },
  };
}

/** A GET with headers fetch would not let through (Host). */
function rawStatus(base: string, path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

async function serve(options: Omit<DashboardOptions, 'client' | 'registry'>, calls: string[] = []) {
  const registry = new MemoryRegistry();
  await registry.register(shop);
  const dashboard = new MicroDashboard({ ...options, registry, client: recordingClient(calls) });
  const base = `http://${await dashboard.listen('127.0.0.1:0')}`;
  const call = (body: unknown, headers: Record<string, string> = {}, query = ''): Promise<Response> =>
    fetch(`${base}/api/call${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { dashboard, base, call, calls };
}

type Served = Awaited<ReturnType<typeof serve>>;

describe('MicroDashboard refusals', () => {
  const open: Served[] = [];
  const start = async (...args: Parameters<typeof serve>): Promise<Served> => {
    const s = await serve(...args);
    open.push(s);
    return s;
  };
  afterAll(async () => {
    await Promise.all(open.map((s) => s.dashboard.close()));
  });

  describe('the registry decides what may be called', () => {
    let s: Served;
    beforeAll(async () => {
      s = await start({ rateLimit: false });
    });

    it('answers 404 micro.web for a service or an endpoint it does not list, and calls nothing', async () => {
      for (const body of [
        { service: 'nope', endpoint: 'Shop.Buy', request: {} },
        { service: 'shop', endpoint: 'Shop.Steal', request: {} },
        { service: 'shop', endpoint: 'orders', request: {} },
      ]) {
        const res = await s.call(body);
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ id: 'micro.web', code: 404, status: 'Not Found' });
      }
      expect(
        await StreamSocket.refused(`${s.base.replace('http', 'ws')}/api/stream?service=nope&endpoint=X.Y`),
      ).toBe(404);
      expect(s.calls).toEqual([]);
      const ok = await s.call({ service: 'shop', endpoint: 'Shop.Buy', request: { qty: 1 } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ reply: { ok: true } });
      expect(s.calls).toEqual(['shop.Shop.Buy']);
    });

    it('answers 400 for a body that is not a JSON object, 405 for a wrong method, 404 for an unknown API', async () => {
      expect((await s.call('{not json')).status).toBe(400);
      expect((await s.call('[1]')).status).toBe(400);
      expect((await fetch(`${s.base}/api/call`)).status).toBe(405);
      expect((await fetch(`${s.base}/api/nothing`)).status).toBe(404);
    });
  });

  describe('same origin only', () => {
    let s: Served;
    beforeAll(async () => {
      s = await start({ rateLimit: false });
    });
    const body = { service: 'shop', endpoint: 'Shop.Buy', request: {} };

    it("refuses another site's page: a foreign Origin is a 403, a non-JSON post a 415", async () => {
      const foreign = await s.call(body, { Origin: 'http://evil.example' });
      expect(foreign.status).toBe(403);
      expect(await foreign.json()).toMatchObject({ id: 'micro.web', code: 403 });
      expect((await s.call(body, { Origin: 'null' })).status).toBe(403);
      const plain = await fetch(`${s.base}/api/call`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify(body),
      });
      expect(plain.status).toBe(415);
      expect(s.calls).toEqual([]);
      expect((await s.call(body, { Origin: s.base })).status).toBe(200);
    });

    it('refuses a WebSocket opened from a foreign origin before upgrading', async () => {
      const ws = `${s.base.replace('http', 'ws')}/api/stream?service=shop&endpoint=Shop.Buy`;
      expect(await StreamSocket.refused(ws, { origin: 'http://evil.example' })).toBe(403);
    });

    it('answers only to loopback Host names when bound to loopback (DNS rebinding)', async () => {
      expect(await rawStatus(s.base, '/api/services', { Host: 'evil.example:80' })).toBe(403);
      expect(await rawStatus(s.base, '/api/services', { Host: `localhost:${new URL(s.base).port}` })).toBe(
        200,
      );
    });
  });

  it('refuses a body past the limit with a 413', async () => {
    const s = await start({ rateLimit: false, maxBodySize: 1024 });
    const res = await s.call({ service: 'shop', endpoint: 'Shop.Buy', request: { pad: 'x'.repeat(4096) } });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 413 });
    expect(s.calls).toEqual([]);
  });

  it('rate-limits API requests per client IP with a 429', async () => {
    // one token per 1000 s after a burst of 3: the 4th and 5th requests find the bucket empty
    const s = await start({ rateLimit: { rate: 0.001, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${s.base}/api/services`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await fetch(`${s.base}/api/services`);
    expect(await res.json()).toMatchObject({ id: 'micro.web', code: 429 });
    // the page itself is not an API request
    expect((await fetch(`${s.base}/`)).status).toBe(200);
  });

  describe('with a token', () => {
    let s: Served;
    beforeAll(async () => {
      s = await start({ rateLimit: false, token: 's3cret' });
    });

    it('answers 401 without a token or with a wrong one', async () => {
      const body = { service: 'shop', endpoint: 'Shop.Buy', request: {} };
      expect((await s.call(body)).status).toBe(401);
      expect((await s.call(body, { Authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await s.call(body, {}, '?token=wrong')).status).toBe(401);
      expect((await fetch(`${s.base}/api/services`)).status).toBe(401);
      expect((await fetch(`${s.base}/api/events`)).status).toBe(401);
      const ws = s.base.replace('http', 'ws');
      expect(await StreamSocket.refused(`${ws}/api/stream?service=shop&endpoint=Shop.Buy`)).toBe(401);
      expect(await StreamSocket.refused(`${ws}/api/stream?service=shop&endpoint=Shop.Buy&token=no`)).toBe(
        401,
      );
      expect(s.calls).toEqual([]);
    });

    it('accepts the token as a bearer header or a ?token= query; the page needs none', async () => {
      const body = { service: 'shop', endpoint: 'Shop.Buy', request: {} };
      expect((await s.call(body, { Authorization: 'Bearer s3cret' })).status).toBe(200);
      expect((await s.call(body, {}, '?token=s3cret')).status).toBe(200);
      expect((await fetch(`${s.base}/api/services?token=s3cret`)).status).toBe(200);
      expect((await fetch(`${s.base}/`)).status).toBe(200);
    });
  });
});
