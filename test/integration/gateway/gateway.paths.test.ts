// MicroGateway on its own loopback server with a memory registry and a scripted client: the paths
// the e2e suites do not reach — a registry that fails (503), a client failure that is no MicroError
// (500), subscribers (404), scopes without any token verification (401) or with the check off,
// `auth.required` on publish, publish refused or empty, what the client is asked for (metadata,
// deadline, the validated request), and the onResponse hook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { MemoryRegistry, type Registry, type Service } from '../../../lib/core/registry/index.js';
import {
  MicroGateway,
  type GatewayClient,
  type GatewayOptions,
  type GatewayResponseEvent,
} from '../../../lib/gateway/index.js';

const shop: Service = {
  name: 'shop',
  version: '1',
  metadata: {},
  endpoints: [
    {
      name: 'Shop.Buy',
      metadata: {},
      request: { name: 'Order', type: 'Order', values: [{ name: 'qty', type: 'int32' }] },
    },
    { name: 'Shop.Admin', metadata: { scopes: 'shop.admin' } },
    { name: 'Shop.Boom', metadata: {} },
    { name: 'orders', metadata: { topic: 'orders', subscriber: 'true' } },
  ],
  nodes: [{ id: 'shop-1', address: '127.0.0.1:1', metadata: {} }],
};

interface Seen {
  service: string;
  endpoint: string;
  data: unknown;
  options: Record<string, unknown> | undefined;
}

function scriptedClient(seen: Seen[], published: unknown[]): GatewayClient {
  return {
    call: async <T>(service: string, endpoint: string, data: unknown, options?: object): Promise<T> => {
      seen.push({ service, endpoint, data, options: options as Record<string, unknown> });
      if (endpoint === 'Shop.Boom') throw new TypeError('undefined is not a function');
      return { ok: true } as T;
    },
    stream: () => {
      throw new Error('no streams here');
    },
    publish: async (topic, data) => {
      published.push({ topic, data });
    },
  };
}

async function serve(options: Omit<GatewayOptions, 'client'>, seen: Seen[] = [], published: unknown[] = []) {
  const gateway = new MicroGateway({ ...options, client: scriptedClient(seen, published) });
  const base = `http://${await gateway.listen('127.0.0.1:0')}`;
  const post = (path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}${path}`, { method: 'POST', headers, body });
  return { gateway, post, base };
}

describe('MicroGateway paths', () => {
  const registry = new MemoryRegistry();
  const seen: Seen[] = [];
  const published: unknown[] = [];
  const events: GatewayResponseEvent[] = [];
  let main: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    await registry.register(shop);
    main = await serve({ registry, onResponse: (e) => events.push(e), timeout: 1_234 }, seen, published);
  });

  afterAll(async () => {
    await main?.gateway.close();
  });

  it('calls with the validated request, the headers as metadata and the deadline', async () => {
    const res = await main.post('/api/shop/Shop.Buy', '{"qty":2}', { 'x-tenant': 't1', timeout: '2s' });
    expect(await res.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({
      service: 'shop',
      endpoint: 'Shop.Buy',
      data: { qty: 2 },
      options: { timeout: 2_000, metadata: expect.objectContaining({ 'x-tenant': 't1' }) },
    });
    await main.post('/api/shop/Shop.Buy', '');
    expect(seen.at(-1)).toMatchObject({ data: {}, options: { timeout: 1_234 } }); // no body: {}, the default budget
  });

  it('a request target starting with // is a path, not a host', async () => {
    const { request } = await import('node:http');
    const address = new URL(main.base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: address.hostname, port: address.port, method: 'POST', path: '//api/shop/Shop.Buy?x=1' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{"qty":1}');
    });
    expect(status).toBe(200);
  });

  it('a client failure that is no MicroError is a 500 with its message, not a crash', async () => {
    const res = await main.post('/api/shop/Shop.Boom', '{}');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({
      code: 500,
      detail: expect.stringContaining('undefined is not a function'),
    });
  });

  it('a subscriber is not an endpoint (404); a malformed Timeout header is a 400', async () => {
    expect((await main.post('/api/shop/orders', '{}')).status).toBe(404);
    expect((await main.post('/api/shop/Shop.Buy', '{}', { timeout: 'soon' })).status).toBe(400);
  });

  it('scopes without any token verification configured: 401, never called', async () => {
    const calls = seen.length;
    const res = await main.post('/api/shop/Shop.Admin', '{}', { authorization: 'Bearer anything' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/no token verification configured/);
    expect(seen.length).toBe(calls);
  });

  it('publish: an empty body is a 400; a message is published with the headers as metadata', async () => {
    expect((await main.post('/publish/orders', '')).status).toBe(400);
    const res = await main.post('/publish/orders', '{"id":7}');
    expect(await res.json()).toEqual({ status: 'ok', topic: 'orders' });
    expect(published).toContainEqual({ topic: 'orders', data: { id: 7 } });
  });

  it('onResponse reports each answer: route, service, endpoint, status', async () => {
    await main.post('/api/shop/Shop.Buy', '{"qty":1}');
    await main.post('/api/nope/X.Y', '{}');
    const last = events.slice(-2);
    expect(last[0]).toMatchObject({ route: 'call', service: 'shop', endpoint: 'Shop.Buy', status: 200 });
    expect(last[1]).toMatchObject({ route: 'call', service: 'nope', status: 404 });
    expect(last[0]!.duration).toBeGreaterThanOrEqual(0);
  });

  it('a registry that fails is a 503, never a hang or a crash', async () => {
    const broken = {
      name: 'broken',
      getService: () => Promise.reject(new Error('connection refused')),
      listServices: () => Promise.reject(new Error('connection refused')),
    } as unknown as Registry;
    const { gateway, post } = await serve({ registry: broken });
    try {
      const res = await post('/api/shop/Shop.Buy', '{}');
      expect(res.status).toBe(503);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/registry is unavailable/);
      expect((await fetch(`${res.url.replace(/\/api\/.*/, '')}/openapi.json`)).status).toBe(503);
    } finally {
      await gateway.close();
    }
  });

  it('auth: false leaves scopes to the app; auth.required asks a token for every call and publish', async () => {
    const open = await serve({ registry, auth: false });
    const strict = await serve({ registry, auth: { tokens: { good: [] }, required: true } });
    try {
      expect((await open.post('/api/shop/Shop.Admin', '{}')).status).toBe(200);
      expect((await strict.post('/api/shop/Shop.Buy', '{"qty":1}')).status).toBe(401);
      expect((await strict.post('/publish/orders', '{}')).status).toBe(401);
      expect(
        (await strict.post('/api/shop/Shop.Buy', '{"qty":1}', { authorization: 'Bearer good' })).status,
      ).toBe(200);
      expect((await strict.post('/api/shop/Shop.Admin', '{}', { authorization: 'Bearer good' })).status).toBe(
        403,
      );
    } finally {
      await open.gateway.close();
      await strict.gateway.close();
    }
  });

  it('publish: false turns publishing off (404)', async () => {
    const quiet = await serve({ registry, publish: false });
    try {
      expect((await quiet.post('/publish/orders', '{}')).status).toBe(404);
    } finally {
      await quiet.gateway.close();
    }
  });

  it('a MicroError thrown by the client keeps its code beyond the known statuses (418), an odd one is a 500', async () => {
    const odd = new MicroError('x', 'teapot', 418);
    const weird = new MicroError('x', 'weird', 7);
    const registryOnly = new MemoryRegistry();
    await registryOnly.register({
      ...shop,
      endpoints: [
        { name: 'Shop.Odd', metadata: {} },
        { name: 'Shop.Weird', metadata: {} },
      ],
    });
    const gateway = new MicroGateway({
      registry: registryOnly,
      client: {
        call: (_s, endpoint) => Promise.reject(endpoint === 'Shop.Odd' ? odd : weird),
        stream: () => {
          throw new Error('no');
        },
        publish: () => Promise.resolve(),
      },
    });
    const base = `http://${await gateway.listen('127.0.0.1:0')}`;
    try {
      expect((await fetch(`${base}/api/shop/Shop.Odd`, { method: 'POST' })).status).toBe(418);
      const res = await fetch(`${base}/api/shop/Shop.Weird`, { method: 'POST' });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ code: 7, detail: 'weird' });
    } finally {
      await gateway.close();
    }
  });
});
