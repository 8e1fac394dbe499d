// mDNS between nest-micro and go-micro on 127.0.0.1, at the packet level: a Node process with
// several services and several HTTP-broker subscribers is fully visible to go-micro's querier and
// watcher (mdns.go-rules.ts applies go-micro's reading rules to our packets), and nest-micro reads
// what go-micro responders send (one node per packet, question echoed, a shared host name).
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { deflateSync } from 'node:zlib';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROADCAST_VERSION, HTTP_BROKER_SERVICE, HttpBroker } from '../../../lib/core/broker/http.broker.js';
import { MdnsRegistry } from '../../../lib/core/registry/mdns/mdns.registry.js';
import type { Service, WatchEvent } from '../../../lib/core/registry/registry.js';
import { waitFor } from '../../support/processes.js';
import { goGetService, goListServices, goWatch, type GoWatcher } from './mdns.go-rules.js';

const run = randomUUID().slice(0, 8); // other test files may speak mDNS on loopback at the same time
const svc = (name: string, version: string, ids: string[], port: number): Service => ({
  name: `${name}-${run}`,
  version,
  metadata: {},
  endpoints: [{ name: 'Greeter.Hello', metadata: {} }],
  nodes: ids.map((id, i) => ({
    id: `${id}-${run}`,
    address: `127.0.0.1:${port + i}`,
    metadata: { protocol: 'mucp' },
  })),
});
const orders = svc('orders', '1.0.0', ['orders-a', 'orders-b'], 7401);
const billing = svc('billing', '2.0.0', ['billing-a'], 7411);
const ids = (services: Array<{ nodes: Array<{ id: string }> }>): string[] =>
  services.flatMap((s) => s.nodes.map((n) => n.id)).toSorted();

describe('go-micro sees every node of a Node process', () => {
  const registry = new MdnsRegistry({ interface: '127.0.0.1' });
  const broker = new HttpBroker({ registry });
  const topics = [`news-${run}`, `alerts-${run}`];
  let subscriberIds: string[] = [];

  beforeAll(async () => {
    await registry.register(orders, { ttl: 30_000 });
    await registry.register(billing, { ttl: 30_000 });
    await broker.connect();
    await broker.subscribe(topics[0]!, () => {});
    await broker.subscribe(topics[1]!, () => {});
    await broker.subscribe(topics[0]!, () => {}, { queue: `workers-${run}` });
    const mine = (await registry.getService(HTTP_BROKER_SERVICE)).map((s) => ({
      ...s,
      nodes: s.nodes.filter((n) => topics.includes(n.metadata.topic ?? '')),
    }));
    subscriberIds = ids(mine);
  });
  afterAll(async () => {
    await broker.disconnect();
    await registry.close();
  });

  it('GetService: every node of every service, each from its own response', async () => {
    expect(subscriberIds).toHaveLength(3);
    const found = await goGetService(orders.name);
    expect(found.map((s) => s.version)).toEqual(['1.0.0']);
    expect(ids(found)).toEqual(ids([orders]));
    expect(found[0]!.nodes.find((n) => n.id === orders.nodes[1]!.id)).toMatchObject({
      address: '127.0.0.1:7402',
      metadata: { protocol: 'mucp' },
    });
    expect(ids(await goGetService(billing.name))).toEqual(ids([billing]));
  });

  it('GetService("micro.http.broker"): every subscriber, broadcast and queue, as a Go publisher needs', async () => {
    const found = await goGetService(HTTP_BROKER_SERVICE);
    const nodes = found.flatMap((s) => s.nodes.map((n) => ({ ...n, version: s.version })));
    const mine = nodes.filter((n) => topics.includes(n.metadata.topic ?? ''));
    expect(mine.map((n) => n.id).toSorted()).toEqual(subscriberIds);
    expect(mine.map((n) => n.version).toSorted()).toEqual(
      [BROADCAST_VERSION, BROADCAST_VERSION, `workers-${run}`].toSorted(),
    );
    for (const n of mine) {
      expect(n.address).toBe(broker.address());
      expect(n.metadata).toMatchObject({ broker: 'http', secure: 'false' });
    }
  });

  it("each response is one node in a go-micro responder's layout, repeating the question", async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    socket.setMulticastInterface('127.0.0.1');
    const packets: Packet[] = [];
    socket.on('message', (data: Buffer) => packets.push(dnsPacket.decode(data)));
    const question = { name: `${orders.name}.micro`, type: 'PTR' as const, class: 'IN' as const };
    socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [question] }), 5353, '224.0.0.251');
    await new Promise((r) => setTimeout(r, 300));
    await new Promise<void>((r) => socket.close(() => r()));
    expect(packets).toHaveLength(2);
    for (const p of packets) {
      expect(p).toMatchObject({ type: 'response', id: 7, questions: [question] });
      expect(p.answers?.map((a) => a.type)).toEqual(['PTR', 'SRV', 'A', 'TXT']);
      const [ptr, srv] = p.answers as unknown as [{ data: string }, { data: { target: string } }];
      const names = [ptr.data, srv.data.target, ptr.data]; // SRV and TXT on the instance, A on the target
      expect(p.answers!.slice(1).map((a) => a.name)).toEqual(names);
    }
    expect(packets.map((p) => (p.answers![0] as { data: string }).data).toSorted()).toEqual(
      orders.nodes.map((n) => `${n.id}.${orders.name}.micro`).toSorted(),
    );
  });

  it('ListServices: every service name', async () => {
    const names = await goListServices();
    expect(names).toEqual(expect.arrayContaining([orders.name, billing.name, HTTP_BROKER_SERVICE]));
  });
});

describe("go-micro's watcher sees create and delete for each node", () => {
  let watcher: GoWatcher;
  beforeAll(async () => {
    watcher = await goWatch();
  });
  afterAll(() => watcher.stop());

  it('announcements and goodbyes, one node per packet', async () => {
    const registry = new MdnsRegistry({ interface: '127.0.0.1' });
    const expected = ids([orders, billing]);
    const seen = (action: string): string[] =>
      watcher.results
        .filter((r) => r.action === action && expected.includes(r.node.id))
        .map((r) => r.node.id)
        .toSorted();
    try {
      await registry.register(orders, { ttl: 30_000 });
      await registry.register(billing, { ttl: 30_000 });
      await waitFor(
        () => new Set(seen('create')).size === 3,
        5_000,
        `creates in ${JSON.stringify(watcher.results)}`,
      );
      expect(watcher.results.find((r) => r.node.id === orders.nodes[0]!.id)).toMatchObject({
        service: orders.name,
        version: '1.0.0',
        node: { address: '127.0.0.1:7401' },
      });
      await registry.deregister(billing);
      await waitFor(() => seen('delete').includes(billing.nodes[0]!.id), 5_000, 'billing goodbye');
      expect(seen('delete')).not.toContain(orders.nodes[0]!.id);
    } finally {
      await registry.close();
    }
    await waitFor(
      () => new Set(seen('delete')).size === 3,
      5_000,
      `deletes in ${JSON.stringify(watcher.results)}`,
    );
  });
});

// ---- go-micro responders, as internal/util/mdns/server.go + zone.go build their packets --------

const GO_HOST = 'gohost'; // every Go node on a machine shares the host name as SRV target
function goTxt(service: string, version: string): string[] {
  const hex = deflateSync(
    JSON.stringify({ Metadata: { go: 'yes' }, Service: service, Version: version, Endpoints: [] }),
  ).toString('hex');
  return hex.match(/.{1,255}/g)!;
}
function goInstance(service: string, id: string, port: number, ttl: number): Answer[] {
  const instance = `${id}.${service}.micro`;
  return [
    { name: instance, type: 'SRV', ttl, data: { priority: 10, weight: 1, port, target: GO_HOST } },
    { name: GO_HOST, type: 'A', ttl, data: '127.0.0.1' },
    { name: instance, type: 'TXT', ttl, data: goTxt(service, '0.1.0') },
  ];
}

describe('nest-micro reads go-micro responders', () => {
  const goService = `gosvc-${run}`;
  const goNodes = [`go-1-${run}`, `go-2-${run}`];
  // a Go node that announced once (as go-micro does, at start only) and answers queries while `alive`
  const kept = { service: `gokeep-${run}`, id: `keep-${run}`, port: 8301, ttl: 2, alive: true, asked: 0 };
  const registry = new MdnsRegistry({ interface: '127.0.0.1' });
  const responder = createSocket({ type: 'udp4', reuseAddr: true });
  const multicast = (packet: Packet): void => {
    responder.send(dnsPacket.encode({ type: 'response', ...packet }), 5353, '224.0.0.251');
  };

  beforeAll(async () => {
    await new Promise<void>((r) => responder.bind(5353, '224.0.0.251', () => r()));
    responder.addMembership('224.0.0.251', '127.0.0.1');
    responder.setMulticastInterface('127.0.0.1');
    // one responder per node: each answers a PTR query for its service in its own packet, to the sender
    responder.on('message', (data, rinfo) => {
      const query = dnsPacket.decode(data);
      if (query.type !== 'query') return;
      for (const q of query.questions ?? []) {
        if (q.name === `${kept.service}.micro` && q.type === 'PTR') {
          kept.asked++;
          if (!kept.alive) continue;
          const answers = [
            { name: q.name, type: 'PTR', ttl: kept.ttl, data: `${kept.id}.${kept.service}.micro` } as Answer,
            ...goInstance(kept.service, kept.id, kept.port, kept.ttl),
          ];
          const packet = { type: 'response' as const, questions: query.questions, answers };
          responder.send(dnsPacket.encode(packet), rinfo.port, rinfo.address);
        }
        if (q.name !== `${goService}.micro` || q.type !== 'PTR') continue;
        goNodes.forEach((id, i) => {
          const answers: Answer[] = [
            { name: q.name, type: 'PTR', ttl: 120, data: `${id}.${goService}.micro` },
            ...goInstance(goService, id, 8101 + i, 120),
          ];
          const packet = dnsPacket.encode({
            type: 'response',
            flags: dnsPacket.AUTHORITATIVE_ANSWER,
            questions: query.questions,
            answers,
          });
          responder.send(packet, rinfo.port, rinfo.address);
        });
      }
    });
  });
  afterAll(async () => {
    await registry.close();
    await new Promise<void>((r) => responder.close(() => r()));
  });

  it('getService finds every Go node from per-node answers sharing one host name', async () => {
    const [found] = await registry.getService(goService);
    expect(found?.version).toBe('0.1.0');
    expect(found?.nodes.map((n) => `${n.id}@${n.address}`).toSorted()).toEqual([
      `go-1-${run}@127.0.0.1:8101`,
      `go-2-${run}@127.0.0.1:8102`,
    ]);
    expect(found?.nodes[0]?.metadata).toEqual({ go: 'yes' });
  });

  it('watch keeps a Go node that never announces again while it answers, and drops it once silent', async () => {
    const events: WatchEvent[] = [];
    const watcher = registry.watch((e) => events.push(e), { service: kept.service });
    try {
      await new Promise((r) => setTimeout(r, 100)); // the registry's sockets open
      multicast({ answers: goInstance(kept.service, kept.id, kept.port, kept.ttl) });
      await waitFor(() => events.some((e) => e.action === 'create'), 5_000, 'create');
      // more than two TTLs: the registry asks before the record lapses, the Go node answers
      await new Promise((r) => setTimeout(r, kept.ttl * 2_500));
      expect(events.map((e) => e.action)).toEqual(['create']);
      expect(kept.asked).toBeGreaterThan(0);

      kept.alive = false; // SIGKILLed: no goodbye, no answer
      await waitFor(() => events.some((e) => e.action === 'delete'), kept.ttl * 2_000, 'delete');
      expect(events.map((e) => [e.action, e.service.nodes[0]?.id])).toEqual([
        ['create', kept.id],
        ['delete', kept.id],
      ]);
    } finally {
      watcher.stop();
    }
  });

  it('watch sees a Go announcement (SRV, A, TXT, no PTR) and its goodbye', async () => {
    const events: WatchEvent[] = [];
    const watcher = registry.watch((e) => events.push(e), { service: `goann-${run}` });
    try {
      await new Promise((r) => setTimeout(r, 100)); // the registry's sockets open
      multicast({ answers: goInstance(`goann-${run}`, `ann-${run}`, 8201, 120) });
      await waitFor(() => events.some((e) => e.action === 'create'), 5_000, 'create');
      multicast({ answers: goInstance(`goann-${run}`, `ann-${run}`, 8201, 0) });
      await waitFor(() => events.some((e) => e.action === 'delete'), 5_000, 'delete');
      expect(events.map((e) => [e.action, e.service.nodes[0]?.id, e.service.nodes[0]?.address])).toEqual([
        ['create', `ann-${run}`, '127.0.0.1:8201'],
        ['delete', `ann-${run}`, '127.0.0.1:8201'],
      ]);
    } finally {
      watcher.stop();
    }
  });
});
