// NATS registry against a real nats-server: go-micro's wire (query answers, watch events, raw Go
// JSON both ways), register/get/list/deregister across two registries, watch, TTL expiry, bad input
// on the subjects, the cache in front, a lookup while NATS is down, and a NATS restart.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheRegistry } from '../../../lib/core/registry/cache.registry.js';
import { NatsRegistry } from '../../../lib/core/registry/nats/index.js';
import type { Service, WatchEvent } from '../../../lib/core/registry/registry.js';
import { natsRequirement, startNats, type NatsServer } from '../../support/nats.js';
import { waitFor } from '../../support/processes.js';

const svc = (name: string, id: string, version = '1.0.0'): Service => ({
  name,
  version,
  metadata: { team: 'a' },
  endpoints: [
    {
      name: 'Greeter.Hello',
      request: { name: 'HelloRequest', type: 'HelloRequest', values: [{ name: 'name', type: 'string' }] },
      response: { name: 'HelloResponse', type: 'HelloResponse' },
      metadata: {},
    },
  ],
  nodes: [
    { id, address: `_INBOX.${id}`, metadata: { protocol: 'mucp', registry: 'nats', transport: 'nats' } },
  ],
});

const nodeIds = (services: Service[]): string[] =>
  services.flatMap((s) => s.nodes.map((n) => n.id)).toSorted();

describe.skipIf(natsRequirement.skip)('NATS registry', () => {
  let nats: NatsServer;
  let a: NatsRegistry;
  let b: NatsRegistry;
  let raw: NatsConnection;

  beforeAll(async () => {
    nats = await startNats({ jetstream: false });
    // a lookup is what answers within the window (go-micro's protocol): 1 s, not 300 ms, so an
    // answer delayed by a loaded CI machine (two cores, the whole suite) is not read as no answer
    a = NatsRegistry.fromAddress(nats.address, { timeout: 1_000 });
    b = NatsRegistry.fromAddress(nats.address, { timeout: 1_000 });
    raw = await connect({ servers: nats.address });
  }, 90_000);

  afterAll(async () => {
    await raw?.close();
    await a?.close();
    await b?.close();
    await nats?.dispose();
  });

  it('finds a service registered by another registry, merges versions and nodes, and lists it', async () => {
    await a.register(svc('greeter', 'g-1'));
    await b.register(svc('greeter', 'g-2'));
    await b.register(svc('greeter', 'g-3', '2.0.0'));
    const found = await a.getService('greeter');
    expect(found.map((s) => s.version).toSorted()).toEqual(['1.0.0', '2.0.0']);
    expect(nodeIds(found)).toEqual(['g-1', 'g-2', 'g-3']);
    const v1 = found.find((s) => s.version === '1.0.0')!;
    expect(v1.endpoints[0]).toMatchObject({ name: 'Greeter.Hello', request: { name: 'HelloRequest' } });
    expect(v1.metadata).toEqual({ team: 'a' });
    const listed = await b.listServices();
    expect(
      listed
        .filter((s) => s.name === 'greeter')
        .map((s) => s.version)
        .toSorted(),
    ).toEqual(['1.0.0', '2.0.0']);
    expect(await a.getService('nobody')).toEqual([]);
    await a.deregister(svc('greeter', 'g-1'));
    await b.deregister(svc('greeter', 'g-2'));
    await b.deregister(svc('greeter', 'g-3', '2.0.0'));
    expect(await a.getService('greeter')).toEqual([]);
  });

  it('speaks go-micro JSON: a raw "get" query is answered with registry.Service JSON', async () => {
    await a.register(svc('raw.svc', 'r-1'));
    const inbox = `_INBOX.test-${Date.now()}`;
    const answers: unknown[] = [];
    const sub = raw.subscribe(inbox, { callback: (_e, m) => void answers.push(m.json()) });
    raw.publish(
      'micro.nats.query',
      JSON.stringify({
        Service: { name: 'raw.svc', version: '', metadata: null, endpoints: null, nodes: null },
        Action: 'get',
      }),
      { reply: inbox },
    );
    await waitFor(() => answers.length > 0, 10_000, 'an answer');
    sub.unsubscribe();
    expect(answers[0]).toMatchObject({
      name: 'raw.svc',
      version: '1.0.0',
      metadata: { team: 'a' },
      endpoints: [
        {
          name: 'Greeter.Hello',
          request: { name: 'HelloRequest' },
          response: { name: 'HelloResponse' },
          metadata: {},
        },
      ],
      nodes: [{ id: 'r-1', address: '_INBOX.r-1', metadata: { protocol: 'mucp' } }],
    });
    await a.deregister(svc('raw.svc', 'r-1'));
  });

  it('reads what a Go registry answers: null maps and slices, unknown fields', async () => {
    const sub = raw.subscribe('micro.nats.query', {
      callback: (_e, m) => {
        const query = m.json<{ Action: string; Service: { name: string } | null }>();
        if (query.Action === 'get' && query.Service?.name === 'go.svc' && m.reply)
          raw.publish(
            m.reply,
            '{"name":"go.svc","version":"latest","metadata":null,"endpoints":null,"nodes":[{"id":"go-1","address":"_INBOX.go","metadata":null,"extra":1}]}',
          );
      },
    });
    await raw.flush();
    const [found] = await a.getService('go.svc');
    sub.unsubscribe();
    expect(found).toEqual({
      name: 'go.svc',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'go-1', address: '_INBOX.go', metadata: {} }],
    });
  });

  it('announces registrations and deregistrations on micro.nats.watch; watchers filter by service', async () => {
    const all: WatchEvent[] = [];
    const only: WatchEvent[] = [];
    const announced: unknown[] = [];
    const sub = raw.subscribe('micro.nats.watch', { callback: (_e, m) => void announced.push(m.json()) });
    const w1 = b.watch((e) => all.push(e));
    const w2 = b.watch((e) => only.push(e), { service: 'watched' });
    await waitFor(
      async () => {
        await a.register(svc('probe', 'p-1'));
        return all.some((e) => e.service.name === 'probe');
      },
      10_000,
      'the watch to start',
    );
    await a.register(svc('watched', 'w-1'));
    await a.deregister(svc('watched', 'w-1'));
    await waitFor(() => only.length === 2, 10_000, 'two events for "watched"');
    expect(only.map((e) => e.action)).toEqual(['create', 'delete']);
    expect(only[1]!.service.nodes.map((n) => n.id)).toEqual(['w-1']);
    expect(only.every((e) => e.service.name === 'watched')).toBe(true);
    await waitFor(
      () => announced.some((r) => (r as { Action: string }).Action === 'delete'),
      10_000,
      'raw events',
    );
    expect(announced).toContainEqual(
      expect.objectContaining({ Action: 'create', Service: expect.objectContaining({ name: 'watched' }) }),
    );
    w1.stop();
    w2.stop();
    sub.unsubscribe();
    await a.deregister(svc('probe', 'p-1'));
  });

  it('stops answering for a node not re-registered within its TTL, and announces its delete', async () => {
    const events: WatchEvent[] = [];
    const watcher = b.watch((e) => events.push(e), { service: 'short' });
    await waitFor(
      async () => {
        await a.register(svc('short', 's-1'), { ttl: 600 });
        return events.length > 0;
      },
      10_000,
      'the registration event',
    );
    expect(nodeIds(await b.getService('short'))).toEqual(['s-1']);
    await waitFor(() => events.some((e) => e.action === 'delete'), 10_000, 'the expiry');
    expect(await b.getService('short')).toEqual([]);
    watcher.stop();
  });

  it('keeps a node registered again within its TTL', async () => {
    await a.register(svc('kept', 'k-1'), { ttl: 400 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await a.register(svc('kept', 'k-1'), { ttl: 400 });
    }
    expect(nodeIds(await b.getService('kept'))).toEqual(['k-1']);
    await a.deregister(svc('kept', 'k-1'));
  });

  it('survives garbage on its subjects', async () => {
    await a.register(svc('sturdy', 'st-1'));
    for (const junk of [
      '',
      'x',
      '[]',
      '{"Action":"get","Service":null}',
      '{"Action":1}',
      '{"Action":"list","Service":7}',
    ])
      raw.publish('micro.nats.query', junk, { reply: '_INBOX.junk' });
    raw.publish('micro.nats.query', '{"Action":"get","Service":{"name":"sturdy"}}'); // no reply subject
    for (const junk of [
      '',
      '{"Action":"create"}',
      '{"Action":"create","Service":{"name":""}}',
      '{"Action":"boom","Service":{"name":"sturdy"}}',
    ])
      raw.publish('micro.nats.watch', junk);
    const sub = raw.subscribe('micro.nats.query', {
      callback: (_e, m) => {
        if (m.reply) raw.publish(m.reply, '{"name":"sturdy","nodes":"not a list"}');
      },
    });
    await raw.flush();
    expect(nodeIds(await b.getService('sturdy'))).toEqual(['st-1']);
    sub.unsubscribe();
    await a.deregister(svc('sturdy', 'st-1'));
  });

  it('refuses a service without a name or nodes with a 400', async () => {
    await expect(a.register({ ...svc('x', 'x-1'), name: '' })).rejects.toMatchObject({ code: 400 });
    await expect(a.register({ ...svc('x', 'x-1'), nodes: [] })).rejects.toMatchObject({ code: 400 });
  });

  it('fails with a retryable 503 when NATS cannot be reached', async () => {
    const nowhere = NatsRegistry.fromAddress('127.0.0.1:1', { connection: { timeout: 1_000 } });
    await expect(nowhere.getService('x')).rejects.toMatchObject({ code: 503, retryable: true });
    await expect(nowhere.register(svc('x', 'x-1'))).rejects.toMatchObject({ code: 503, retryable: true });
    await nowhere.close();
  });

  it('behind the cache: watch-fed updates, and cached nodes while NATS restarts; services come back after it', async () => {
    const cache = new CacheRegistry(NatsRegistry.fromAddress(nats.address, { timeout: 300 }), {
      logger: { warn: () => undefined },
    });
    await a.register(svc('cached', 'c-1'));
    expect(nodeIds(await cache.getService('cached'))).toEqual(['c-1']);
    await waitFor(
      async () => {
        await a.register(svc('cached', 'c-2'));
        return nodeIds(cache.cachedService('cached') ?? []).includes('c-2');
      },
      10_000,
      'the watch to update the cache',
    );

    await nats.stop('SIGKILL');
    await expect(b.getService('cached')).rejects.toMatchObject({ code: 503 });
    expect(nodeIds(await cache.getService('cached'))).toEqual(['c-1', 'c-2']); // the cache serves
    cache.clear();
    // the entry is gone and NATS is down: nothing to serve
    await expect(cache.getService('cached')).rejects.toMatchObject({ code: 503 });
    await nats.restart();
    // back: registries reconnect by themselves and answer again, and watchers hear them again
    await waitFor(
      async () => nodeIds(await b.getService('cached')).length === 2,
      30_000,
      'answers after the restart',
    );
    expect(nodeIds(await cache.getService('cached'))).toEqual(['c-1', 'c-2']);
    await a.deregister(svc('cached', 'c-1'));
    await a.deregister(svc('cached', 'c-2'));
    await cache.close();
  }, 90_000);
});
