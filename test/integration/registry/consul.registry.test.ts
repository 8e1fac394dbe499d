// Consul registry against a real `consul agent -dev` on loopback: go-micro tags on the wire,
// register/get/list/deregister, watch via blocking queries, TTL expiry, agent restart, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheRegistry } from '../../../lib/core/registry/cache.registry.js';
import { ConsulRegistry } from '../../../lib/core/registry/consul/consul.registry.js';
import {
  decodeEndpointTags,
  decodeMetadataTags,
  decodeVersionTag,
} from '../../../lib/core/registry/encoding.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Service, WatchEvent } from '../../../lib/core/registry/registry.js';
import { consulAvailability, startConsul, type ConsulAgent } from '../../support/consul.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';

const svc = (
  name: string,
  id: string,
  port: number,
  version = '1.0.0',
  md: Record<string, string> = {},
): Service => ({
  name,
  version,
  metadata: {},
  endpoints: [
    {
      name: 'Greeter.Hello',
      request: { name: 'HelloRequest', type: 'HelloRequest', values: [{ name: 'name', type: 'string' }] },
      response: { name: 'HelloResponse', type: 'HelloResponse' },
      metadata: {},
    },
  ],
  nodes: [{ id, address: `127.0.0.1:${port}`, metadata: { protocol: 'mucp', registry: 'consul', ...md } }],
});

const nodeIds = (services: Service[]): string[] =>
  services.flatMap((s) => s.nodes.map((n) => n.id)).toSorted();

describe.skipIf(consulAvailability.skip)(`consul registry ${consulAvailability.reason}`, () => {
  let agent: ConsulAgent;
  let registry: ConsulRegistry;

  beforeAll(async () => {
    agent = await startConsul();
    registry = new ConsulRegistry({ url: agent.address });
  });
  afterAll(async () => {
    await registry?.close();
    await agent?.close();
  });

  it('registers with go-micro encoding, gets, lists and deregisters', async () => {
    const s = svc('greeter', 'greeter-1', 9001, '1.0.0', { 'odd.key': 'x' });
    await registry.register(s, { ttl: 30_000 });

    const raw = (await registry.client.agent.service.list()) as Record<
      string,
      {
        ID: string;
        Service: string;
        Tags: string[];
        Port: number;
        Address: string;
        Meta: Record<string, string>;
      }
    >;
    const entry = raw['greeter-1']!;
    expect(entry).toMatchObject({ ID: 'greeter-1', Service: 'greeter', Port: 9001, Address: '127.0.0.1' });
    expect(entry.Tags.every((t) => /^[tev]-[0-9a-f]+$/.test(t))).toBe(true);
    expect(decodeMetadataTags(entry.Tags)).toEqual(s.nodes[0]!.metadata);
    expect(decodeEndpointTags(entry.Tags)).toEqual(s.endpoints);
    expect(decodeVersionTag(entry.Tags)).toBe('1.0.0');
    // Meta keeps what Consul accepts; the tags carry everything.
    expect(entry.Meta).toEqual({ protocol: 'mucp', registry: 'consul' });

    const checks = (await registry.client.agent.check.list()) as Record<string, { Status: string }>;
    expect(checks['service:greeter-1']?.Status).toBe('passing');

    const got = await registry.getService('greeter');
    expect(got).toEqual([{ ...s, nodes: [{ ...s.nodes[0], address: '127.0.0.1:9001' }] }]);
    expect((await registry.listServices()).map((x) => [x.name, x.version])).toContainEqual([
      'greeter',
      '1.0.0',
    ]);

    await registry.deregister(s);
    expect(await registry.getService('greeter')).toEqual([]);
    await registry.deregister(s); // already gone: not an error
  });

  it('re-registering an unchanged node passes its TTL check', async () => {
    const s = svc('pinger', 'pinger-1', 9002);
    await registry.register(s, { ttl: 2_000 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 800));
      await registry.register(s, { ttl: 2_000 });
    }
    expect(nodeIds(await registry.getService('pinger'))).toEqual(['pinger-1']);
    await registry.deregister(s);
  });

  it('drops a node whose TTL lapsed from the health result', async () => {
    const alive = svc('ttl', 'ttl-alive', 9003);
    const dying = svc('ttl', 'ttl-dying', 9004);
    await registry.register(alive, { ttl: 60_000 });
    await registry.register(dying, { ttl: 1_000 });
    expect(nodeIds(await registry.getService('ttl'))).toEqual(['ttl-alive', 'ttl-dying']);
    await waitFor(async () => nodeIds(await registry.getService('ttl')).length === 1, 10_000, 'TTL lapse');
    expect(nodeIds(await registry.getService('ttl'))).toEqual(['ttl-alive']);
    await registry.deregister(alive);
    await registry.deregister(dying);
  });

  it('watch sees create, update and delete through blocking queries', async () => {
    const events: WatchEvent[] = [];
    const watcher = registry.watch((e) => events.push(e), { service: 'watched' });
    const a = svc('watched', 'w-1', 9005);
    await registry.register(a, { ttl: 30_000 });
    await waitFor(() => events.some((e) => e.action === 'create'), 10_000, 'create');
    expect(events.find((e) => e.action === 'create')?.service.nodes.map((n) => n.id)).toEqual(['w-1']);

    await registry.register(svc('watched', 'w-2', 9006), { ttl: 30_000 });
    await waitFor(() => events.some((e) => e.action === 'update'), 10_000, 'update');
    expect(nodeIds([events.find((e) => e.action === 'update')!.service])).toEqual(['w-1', 'w-2']);

    await registry.deregister(a);
    await waitFor(() => events.some((e) => e.action === 'delete'), 10_000, 'delete');
    expect(nodeIds([events.find((e) => e.action === 'delete')!.service])).toEqual(['w-1']);
    watcher.stop();
    await registry.deregister(svc('watched', 'w-2', 9006));
  });

  it('a watch of every service follows services appearing and leaving', async () => {
    const events: WatchEvent[] = [];
    const watcher = registry.watch((e) => events.push(e));
    const s = svc('anyone', 'any-1', 9007);
    await registry.register(s, { ttl: 30_000 });
    await waitFor(
      () => events.some((e) => e.action === 'create' && e.service.name === 'anyone'),
      10_000,
      'create',
    );
    await registry.deregister(s);
    await waitFor(
      () => events.some((e) => e.action === 'delete' && e.service.name === 'anyone'),
      10_000,
      'delete',
    );
    watcher.stop();
  });

  it('rejects bad input with typed 400 errors', async () => {
    await expect(registry.register({ ...svc('bad', 'b', 1), nodes: [] })).rejects.toMatchObject({
      code: 400,
    });
    await expect(
      registry.register({ ...svc('bad', 'b', 1), nodes: [{ id: 'b', address: 'nohost', metadata: {} }] }),
    ).rejects.toMatchObject({ code: 400 });
    expect(() => new ConsulRegistry({ url: 'ftp://x:1' })).toThrow(MicroError);
  });

  it('an unreachable agent is a retryable 503', async () => {
    const port = await freePort();
    const down = new ConsulRegistry({ url: `127.0.0.1:${port}`, timeout: 2_000 });
    const error = await down.getService('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 503, retryable: true });
    await expect(down.register(svc('x', 'x-1', 9008), { ttl: 10_000 })).rejects.toMatchObject({ code: 503 });
    await down.close();
  });

  it('recovers when the agent restarts: the cache serves meanwhile, the next register restores', async () => {
    const warnings: string[] = [];
    const cache = new CacheRegistry(registry, {
      ttl: 200,
      logger: { warn: (m) => warnings.push(m) },
      closeRegistry: false,
    });
    const s = svc('phoenix', 'phoenix-1', 9009);
    await registry.register(s, { ttl: 30_000 });
    expect(nodeIds(await cache.getService('phoenix'))).toEqual(['phoenix-1']);

    await agent.stop();
    await new Promise((r) => setTimeout(r, 300)); // let the cache entry expire
    expect(nodeIds(await cache.getService('phoenix'))).toEqual(['phoenix-1']);
    expect(warnings.join('\n')).toMatch(/serving cached nodes/);
    await expect(registry.register(s, { ttl: 30_000 })).rejects.toMatchObject({ code: 503, retryable: true });

    await agent.start();
    await registry.register(s, { ttl: 30_000 }); // what the server's re-register interval does
    // the agent syncs its local services to the catalog right after it has (re)joined
    await waitFor(
      async () => nodeIds(await registry.getService('phoenix')).length === 1,
      10_000,
      'catalog sync',
    );
    await waitFor(
      async () => nodeIds(await cache.getService('phoenix')).length === 1,
      10_000,
      'cache refresh',
    );
    await cache.close();
    await registry.deregister(s);
  });
});
