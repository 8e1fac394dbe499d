// go-micro's NATS broker between go-micro v5.30.0 and nest-micro, both ways, on a real nats-server -js on
// 127.0.0.1 (no registry traffic: the Go peers run with MICRO_REGISTRY=memory, MICRO_BROKER=nats,
// MICRO_BROKER_ADDRESS; the Node side is a Nest app on the NATS broker plus plain NatsBroker members).
// Broadcast both ways with metadata and Content-Type intact; Node → a Go queue group (core NATS queue
// group); Go → a Node JetStream queue group (Go's plain publishes land in the group's stream); and one
// group of Go and Node members (the Node member with queueGroups: 'core') sharing the messages of a
// Go and a Node publisher.
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBroker } from '../../lib/core/broker/nats.broker.js';
import { createRegistry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroContext, MicroModule, Subscriber } from '../../lib/index.js';
import { natsRequirement, startNats, type NatsServer } from '../support/nats.js';
import { waitFor } from '../support/processes.js';
import {
  buildGoPeer,
  goAvailability,
  GO_BUILD_TIMEOUT_MS,
  runGoPeer,
  startGoPeer,
  type GoLine,
  type GoPeer,
} from './support/go-peer.js';
import { startService } from '../support/apps.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT = 'Zoë & 5 € — 東京';

interface Received {
  topic: string;
  body: { run?: string; i?: number };
  contentType: string;
  id: string;
  metadata: Record<string, string>;
}
/** What the Nest app's subscribers got. */
const received: Received[] = [];

@Controller()
class NodeSubscribers {
  @Subscriber('natsinterop.broadcast')
  broadcast(@Payload() body: Received['body'], @Ctx() ctx: MicroContext): void {
    received.push({
      topic: 'natsinterop.broadcast',
      body,
      contentType: ctx.getContentType(),
      id: ctx.getId(),
      metadata: ctx.getMetadata().toJSON(),
    });
  }

  @Subscriber('natsinterop.queue', { queue: 'workers' })
  queue(@Payload() body: Received['body'], @Ctx() ctx: MicroContext): void {
    received.push({
      topic: 'natsinterop.queue',
      body,
      contentType: ctx.getContentType(),
      id: ctx.getId(),
      metadata: ctx.getMetadata().toJSON(),
    });
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const goIndexes = (peer: GoPeer, topic: string, run: string): number[] =>
  peer
    .lines()
    .filter((l: GoLine) => l.event === 'message' && l.topic === topic && l.body?.run === run)
    .map((l) => l.body.i as number);
const sorted = (values: number[]): number[] => values.toSorted((x, y) => x - y);
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(goAvailability.skip || natsRequirement.skip)(
  `the NATS broker between go-micro v5 and nest-micro ${[goAvailability.reason, natsRequirement.reason].filter(Boolean).join('; ')}`,
  () => {
    let nats: NatsServer;
    let env: Record<string, string>;
    const peers: GoPeer[] = [];
    const brokers: NatsBroker[] = [];
    let app: INestMicroservice | undefined;
    let client: MicroClient;
    let goA: GoPeer, goB: GoPeer, goQ1: GoPeer, goQ2: GoPeer, goMixed: GoPeer;
    /** Messages of the plain Node members: the second JetStream member and the core-group member. */
    const second: number[] = [];
    const mixed: { run: string; i: number }[] = [];

    /** Node → the Go queue group, by member. */
    const goQueueGot = (): number[][] =>
      [goQ1, goQ2].map((p) => goIndexes(p, 'natsinterop.goqueue', 'node→goqueue'));
    /** Go → the Node JetStream queue group: the Nest member's and the plain member's. */
    const jsQueueAll = (): number[] => [
      ...received.filter((r) => r.body.run === 'go→js').map((r) => r.body.i!),
      ...second,
    ];
    const goSubscriber = (name: string, ...args: string[]): GoPeer => {
      const peer = startGoPeer(['subscribe', '--name', name, ...args], env);
      peers.push(peer);
      return peer;
    };
    const goPublish = async (topic: string, body: string, ...args: string[]): Promise<void> => {
      const [line] = await runGoPeer(
        ['publish', '--topic', topic, '--body', body, '--linger', '100ms', ...args],
        env,
      );
      expect(line).toMatchObject({ ok: true });
    };
    const member = async (options: ConstructorParameters<typeof NatsBroker>[0] = {}): Promise<NatsBroker> => {
      const broker = new NatsBroker({ servers: nats.url, ...options });
      brokers.push(broker);
      await broker.connect();
      return broker;
    };

    beforeAll(async () => {
      [nats] = await Promise.all([startNats(), buildGoPeer()]);
      env = { MICRO_REGISTRY: 'memory', MICRO_BROKER: 'nats', MICRO_BROKER_ADDRESS: nats.address };
      goA = goSubscriber('go.sub.a', '--topic', 'natsinterop.broadcast');
      goB = goSubscriber('go.sub.b', '--topic', 'natsinterop.broadcast');
      goQ1 = goSubscriber('go.sub.q1', '--topic', 'natsinterop.goqueue', '--queue', 'workers');
      goQ2 = goSubscriber('go.sub.q2', '--topic', 'natsinterop.goqueue', '--queue', 'workers');
      goMixed = goSubscriber('go.sub.mixed', '--topic', 'natsinterop.mixed', '--queue', 'workers');
      @Module({
        imports: [
          MicroModule.forRoot({
            name: 'node.nats',
            address: '127.0.0.1:0',
            registry: createRegistry('memory'),
            broker: new NatsBroker({ servers: nats.url }),
            env: false,
            propagationDelay: 0,
          }),
          MicroModule.registerClients([{ name: 'CLIENT', service: 'node.nats' }]),
        ],
        controllers: [NodeSubscribers],
      })
      class NodeModule {}
      app = await startService(NodeModule);
      client = app.get<MicroClient>('CLIENT');
      const js = await member();
      await js.subscribe(
        'natsinterop.queue',
        (e) => void second.push(JSON.parse(e.message.body.toString()).i),
        {
          queue: 'workers',
        },
      );
      const core = await member({ queueGroups: 'core' });
      await core.subscribe(
        'natsinterop.mixed',
        (e) => void mixed.push(JSON.parse(e.message.body.toString())),
        {
          queue: 'workers',
        },
      );
      await Promise.all(peers.map((p) => p.ready()));
      await settle(); // the Go subscriptions reach the server just after go-micro says it started
    }, GO_BUILD_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      await app?.close();
      await Promise.all(brokers.map((b) => b.disconnect()));
      await Promise.all(peers.map((p) => p.stop()));
      await nats?.dispose();
    });

    it('Node publish → every Go subscriber gets it once: body, Content-Type, Micro-ID and UTF-8 metadata in Go spelling', async () => {
      await client.publish(
        'natsinterop.broadcast',
        { run: 'node→go', i: 1 },
        {
          metadata: { 'x-tenant': TENANT, 'X-Request-Source': 'node' },
        },
      );
      const lines = await Promise.all(
        [goA, goB].map((p) =>
          p.waitForLine((l) => l.event === 'message' && l.body?.run === 'node→go', 10_000, 'the message'),
        ),
      );
      for (const line of lines) {
        expect(line.body).toEqual({ run: 'node→go', i: 1 });
        expect(line.metadata).toEqual({
          'Content-Type': 'application/json',
          'Micro-ID': expect.stringMatching(UUID),
          'Micro-Topic': 'natsinterop.broadcast',
          'X-Tenant': TENANT,
          'X-Request-Source': 'node',
        });
      }
      expect(lines[0]!.metadata['Micro-ID']).toBe(lines[1]!.metadata['Micro-ID']);
      await settle();
      for (const p of [goA, goB]) expect(goIndexes(p, 'natsinterop.broadcast', 'node→go')).toEqual([1]);
      // the Node subscriber on the same topic got it too
      expect(received.filter((r) => r.body.run === 'node→go')).toHaveLength(1);
    });

    it('Go publish → the Node @Subscriber gets it once: body, Content-Type, id and metadata', async () => {
      await goPublish('natsinterop.broadcast', '{"run":"go→node","i":1}', '--metadata', `x-tenant=${TENANT}`);
      await waitFor(() => received.some((r) => r.body.run === 'go→node'), 10_000, 'the Go message');
      await settle();
      const got = received.filter((r) => r.body.run === 'go→node');
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        body: { run: 'go→node', i: 1 },
        contentType: 'application/json',
        id: expect.stringMatching(UUID),
        metadata: { 'micro-topic': 'natsinterop.broadcast', 'x-tenant': TENANT },
      });
    });

    it('Node publish → a Go queue group: each of 20 messages reaches exactly one Go member', async () => {
      for (const i of range(20)) await client.publish('natsinterop.goqueue', { run: 'node→goqueue', i });
      await waitFor(() => goQueueGot().flat().length >= 20, 10_000, '20 messages');
      await settle();
      expect(sorted(goQueueGot().flat())).toEqual(range(20));
    });

    it("Go publish → a Node JetStream queue group: Go's plain publishes are stored, each delivered to one member", async () => {
      await goPublish('natsinterop.queue', '{"run":"go→js","i":%d}', '--count', '20');
      await waitFor(() => jsQueueAll().length >= 20, 15_000, '20 messages');
      await settle();
      expect(sorted(jsQueueAll())).toEqual(range(20));
    });

    it("one queue group of a Go and a Node member (queueGroups: 'core') shares a Go and a Node publisher's messages", async () => {
      await goPublish('natsinterop.mixed', '{"run":"go→mixed","i":%d}', '--count', '30');
      for (const i of range(30)) await client.publish('natsinterop.mixed', { run: 'node→mixed', i });
      const of = (run: string): number[] => [
        ...goIndexes(goMixed, 'natsinterop.mixed', run),
        ...mixed.filter((m) => m.run === run).map((m) => m.i),
      ];
      await waitFor(() => of('go→mixed').length + of('node→mixed').length >= 60, 15_000, '60 messages');
      await settle();
      expect(sorted(of('go→mixed'))).toEqual(range(30));
      expect(sorted(of('node→mixed'))).toEqual(range(30));
      expect(
        goIndexes(goMixed, 'natsinterop.mixed', 'go→mixed').length +
          goIndexes(goMixed, 'natsinterop.mixed', 'node→mixed').length,
      ).toBeGreaterThan(0);
      expect(mixed.length).toBeGreaterThan(0);
    });
  },
);
