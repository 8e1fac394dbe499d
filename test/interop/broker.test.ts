// go-micro's HTTP broker between go-micro v5.30.0 and nest-micro, both ways, with Consul on 127.0.0.1
// as the registry through which publishers find subscribers (`micro.http.broker` records): broadcast,
// queue groups (Go only, Node only, and Go and Node members in one group), and what travels with a
// message: custom metadata with UTF-8 values, Micro-Topic / Micro-ID, the Content-Type, the body.
// Go side: `v5peer subscribe` processes and `v5peer publish`. Node side: two fixtures/node-greeter.ts
// processes (node.a, node.b: interop.broadcast, interop.queue in group `workers`) and an in-process
// app that publishes with MicroClient.publish and subscribes to interop.proto with the protobuf type.
//
// go-micro's publisher is fire-and-forget (broker/http.go Publish POSTs in a goroutine and ignores the
// reply), so the Go side is observed through what subscribers print, never through the publisher.
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../lib/core/registry/index.js';
import {
  MICRO_OPTIONS,
  MicroClient,
  MicroContext,
  MicroModule,
  Subscriber,
  type ResolvedOptions,
} from '../../lib/index.js';
import { consulAvailability, startConsul, type ConsulAgent } from '../support/consul.js';
import { waitFor } from '../support/processes.js';
import {
  buildGoPeer,
  consulEnv,
  goAvailability,
  GO_BUILD_TIMEOUT_MS,
  runGoPeer,
  startGoPeer,
  type GoLine,
  type GoPeer,
} from './support/go-peer.js';
import { greeterType } from './support/greeter.js';
import { nodeGreeterReady, startNodeGreeter } from './support/node-peer.js';
import { startService } from '../support/apps.js';

const Request = greeterType('Request');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT = 'Zoë & 5 € — 東京';

/** What the in-process subscriber got on interop.proto. */
const local: { body: unknown; contentType: string; id: string; metadata: Record<string, string> }[] = [];

@Controller()
class ProtoSubscriber {
  @Subscriber('interop.proto', { protobuf: Request })
  onProto(@Payload() body: unknown, @Ctx() ctx: MicroContext): void {
    local.push({
      body,
      contentType: ctx.getContentType(),
      id: ctx.getId(),
      metadata: ctx.getMetadata().toJSON(),
    });
  }
}

const messages = (peer: GoPeer, topic: string): GoLine[] =>
  peer.lines().filter((l) => l.event === 'message' && l.topic === topic);
/** The messages a peer printed whose body is `{"run":run,…}`. */
const ofRun = (peer: GoPeer, topic: string, run: string): GoLine[] =>
  messages(peer, topic).filter((l) => l.body?.run === run);
/** The `i` of every message body `{"run":run,"i":…}` a peer printed. */
const indexes = (peer: GoPeer, topic: string, run: string): number[] =>
  ofRun(peer, topic, run).map((l) => l.body.i as number);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
/** A broadcast body, marked with its run. */
const marked = (run: string): Record<string, unknown> => ({ run, name: 'Zoë', tags: ['€', 1], ok: true });
/** Waits until `n` messages of `run` arrived across `members`, then a moment for duplicates. */
const delivered = async (members: GoPeer[], topic: string, run: string, n: number): Promise<number[][]> => {
  const got = (): number[][] => members.map((m) => indexes(m, topic, run));
  await waitFor(() => got().flat().length >= n, 15_000, `${n} ${run} messages`);
  await new Promise((r) => setTimeout(r, 300));
  return got();
};
const once = (got: number[][], n: number): void => {
  expect(got.flat().toSorted((x, y) => x - y)).toEqual(range(n)); // each exactly once
  for (const member of got) expect(member.length).toBeGreaterThan(0); // shared
};

/** The broadcast message of `run` at `peer`. */
const arrival = (peer: GoPeer, run: string): Promise<GoLine> =>
  peer.waitForLine(
    (l) => l.event === 'message' && l.topic === 'interop.broadcast' && l.body?.run === run,
    10_000,
    `the ${run} message`,
  );

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `the HTTP broker between go-micro v5 and nest-micro ${[goAvailability.reason, consulAvailability.reason].filter(Boolean).join('; ')}`,
  () => {
    let consul: ConsulAgent | undefined;
    const peers: GoPeer[] = [];
    let goA: GoPeer, goB: GoPeer, goQ1: GoPeer, goQ2: GoPeer, goProto: GoPeer;
    let nodeA: GoPeer, nodeB: GoPeer;
    let app: INestMicroservice | undefined;
    let client: MicroClient;
    let env: Record<string, string>;

    const goSubscriber = (name: string, ...args: string[]): GoPeer => {
      const peer = startGoPeer(['subscribe', '--name', name, ...args], env);
      peers.push(peer);
      return peer;
    };
    const goPublish = async (topic: string, body: string, ...args: string[]): Promise<void> => {
      const [line] = await runGoPeer(['publish', '--topic', topic, '--body', body, ...args], env);
      expect(line).toMatchObject({ ok: true });
    };
    /** Until the in-process publisher's registry shows `count` subscriber nodes on `topic` in `version`. */
    const publisherSees = (topic: string, version: string, count: number): Promise<void> =>
      waitFor(
        async () => {
          const { registry } = app!.get<ResolvedOptions>(MICRO_OPTIONS);
          const services = await registry.getService('micro.http.broker');
          const nodes = services
            .filter((s) => s.version === version)
            .flatMap((s) => s.nodes)
            .filter((n) => n.metadata.topic === topic);
          return nodes.length === count;
        },
        10_000,
        `${count} subscribers of ${topic} (${version}) in the publisher's registry`,
      );

    const everyone = (): GoPeer[] => [goA, goB, nodeA, nodeB];

    beforeAll(async () => {
      [consul] = await Promise.all([startConsul(), buildGoPeer()]);
      env = consulEnv(consul.address);
      goA = goSubscriber('go.sub.a', '--topic', 'interop.broadcast');
      goB = goSubscriber('go.sub.b', '--topic', 'interop.broadcast');
      goQ1 = goSubscriber('go.sub.q1', '--topic', 'interop.goqueue', '--queue', 'workers');
      goQ2 = goSubscriber('go.sub.q2', '--topic', 'interop.goqueue', '--queue', 'workers');
      goProto = goSubscriber('go.sub.proto', '--topic', 'interop.proto', '--payload', 'proto');
      nodeA = startNodeGreeter({ ...env, INTEROP_SERVICES: 'node.a' });
      nodeB = startNodeGreeter({ ...env, INTEROP_SERVICES: 'node.b' });
      peers.push(nodeA, nodeB);
      @Module({
        imports: [
          MicroModule.forRoot({
            name: 'node.publisher',
            address: '127.0.0.1:0',
            registry: createRegistry('consul', consul.address),
            env: false,
            propagationDelay: 0,
          }),
          MicroModule.registerClients([{ name: 'CLIENT', service: 'node.publisher' }]),
        ],
        controllers: [ProtoSubscriber],
      })
      class PublisherModule {}
      app = await startService(PublisherModule);
      client = app.get<MicroClient>('CLIENT');
      await Promise.all([
        ...[goA, goB, goQ1, goQ2, goProto].map((p) => p.ready()),
        nodeGreeterReady(nodeA, ['node.a']),
        nodeGreeterReady(nodeB, ['node.b']),
      ]);
    }, GO_BUILD_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      await app?.close();
      await Promise.all(peers.map((p) => p.stop()));
      await consul?.close();
    });

    describe('broadcast', () => {
      it('Node publish → every Go and Node subscriber gets it once, body, Content-Type and UTF-8 metadata intact', async () => {
        await publisherSees('interop.broadcast', 'ff.http.broadcast', 4);
        await client.publish('interop.broadcast', marked('node→all'), {
          metadata: { 'x-tenant': TENANT, 'X-Request-Source': 'node' },
        });
        const [a, b, na, nb] = await Promise.all(everyone().map((p) => arrival(p, 'node→all')));
        for (const go of [a!, b!]) {
          expect(go.body).toEqual(marked('node→all'));
          // Go's metadata is the envelope's header as sent: Go's spelling of each key
          expect(go.metadata).toEqual({
            'Content-Type': 'application/json',
            'Micro-ID': expect.stringMatching(UUID),
            'Micro-Topic': 'interop.broadcast',
            'X-Tenant': TENANT,
            'X-Request-Source': 'node',
          });
        }
        expect(a!.metadata['Micro-ID']).toBe(b!.metadata['Micro-ID']); // one message, two copies
        for (const node of [na!, nb!]) {
          expect(node.body).toEqual(marked('node→all'));
          expect(node.metadata).toMatchObject({ 'x-tenant': TENANT, 'x-request-source': 'node' });
        }
        for (const peer of everyone()) expect(ofRun(peer, 'interop.broadcast', 'node→all')).toHaveLength(1);
      });

      it('Go publish → every Go and Node subscriber gets it once, body and UTF-8 metadata intact', async () => {
        await goPublish(
          'interop.broadcast',
          JSON.stringify(marked('go→all')),
          '--metadata',
          `x-tenant=${TENANT}`,
          '--metadata',
          'X-Request-Source=go',
        );
        const [a, b, na, nb] = await Promise.all(everyone().map((p) => arrival(p, 'go→all')));
        for (const go of [a!, b!]) {
          expect(go.body).toEqual(marked('go→all'));
          expect(go.metadata).toMatchObject({ 'Content-Type': 'application/json', 'x-tenant': TENANT });
        }
        for (const node of [na!, nb!]) {
          expect(node.body).toEqual(marked('go→all'));
          expect(node.metadata).toMatchObject({
            'micro-topic': 'interop.broadcast',
            'x-tenant': TENANT,
            'x-request-source': 'go',
          });
        }
        for (const peer of everyone()) expect(ofRun(peer, 'interop.broadcast', 'go→all')).toHaveLength(1);
      });
    });

    describe('queue groups', () => {
      it('Node publish → Go queue group `workers`: each message reaches exactly one of the two Go subscribers', async () => {
        await publisherSees('interop.goqueue', 'workers', 2);
        for (const i of range(20)) await client.publish('interop.goqueue', { run: 'node→go', i });
        once(await delivered([goQ1, goQ2], 'interop.goqueue', 'node→go', 20), 20);
      });

      it('Go publish → Node queue group `workers` (two Node processes): each message reaches exactly one', async () => {
        await goPublish('interop.queue', '{"run":"go→node","i":%d}', '--count', '20');
        once(await delivered([nodeA, nodeB], 'interop.queue', 'go→node', 20), 20);
      });

      it('a mixed group: a Go and two Node subscribers in `workers` share the messages of a Go and of a Node publisher, each exactly once', async () => {
        const goMember = goSubscriber('go.sub.mixed', '--topic', 'interop.queue', '--queue', 'workers');
        await goMember.ready();
        const members = [goMember, nodeA, nodeB];
        await goPublish('interop.queue', '{"run":"go→mixed","i":%d}', '--count', '30');
        const fromGo = await delivered(members, 'interop.queue', 'go→mixed', 30);
        await publisherSees('interop.queue', 'workers', 3);
        for (const i of range(30)) await client.publish('interop.queue', { run: 'node→mixed', i });
        const fromNode = await delivered(members, 'interop.queue', 'node→mixed', 30);
        expect(fromGo.flat().toSorted((x, y) => x - y)).toEqual(range(30));
        expect(fromNode.flat().toSorted((x, y) => x - y)).toEqual(range(30));
        // every member had a share of the 60
        for (const [i, member] of members.entries())
          expect(fromGo[i]!.length + fromNode[i]!.length, member.args.join(' ')).toBeGreaterThan(0);
        await goMember.stop();
      });
    });

    describe('Content-Type', () => {
      const zoe = { name: 'Zoë €', count: 3 };

      it('Node publish in application/protobuf and application/json → a Go subscriber decoding greeter.Request (--payload proto)', async () => {
        await publisherSees('interop.proto', 'ff.http.broadcast', 2);
        await client.publish('interop.proto', zoe, {
          contentType: 'application/protobuf',
          protobuf: Request,
          metadata: { 'x-tenant': TENANT },
        });
        await client.publish(
          'interop.proto',
          { name: 'json', count: 4 },
          { metadata: { 'x-tenant': TENANT } },
        );
        await waitFor(() => messages(goProto, 'interop.proto').length >= 2, 10_000, 'two messages');
        const [pbLine, jsonLine] = messages(goProto, 'interop.proto');
        expect(pbLine).toMatchObject({
          body: zoe,
          metadata: { 'Content-Type': 'application/protobuf', 'X-Tenant': TENANT },
        });
        expect(jsonLine).toMatchObject({
          body: { name: 'json', count: 4 },
          metadata: { 'Content-Type': 'application/json', 'X-Tenant': TENANT },
        });
      });

      it('Go publish in application/protobuf and application/json → a Node @Subscriber with the protobuf type', async () => {
        local.length = 0;
        await goPublish(
          'interop.proto',
          JSON.stringify(zoe),
          '--content-type',
          'application/protobuf',
          '--metadata',
          `x-tenant=${TENANT}`,
        );
        await goPublish('interop.proto', '{"name":"json","count":5}', '--content-type', 'application/json');
        await waitFor(() => local.length >= 2, 10_000, 'two messages');
        const byType = Object.fromEntries(local.map((m) => [m.contentType, m]));
        expect(byType['application/protobuf']).toMatchObject({
          body: zoe,
          id: expect.stringMatching(UUID),
          metadata: { 'micro-topic': 'interop.proto', 'x-tenant': TENANT },
        });
        expect(byType['application/json']).toMatchObject({
          body: { name: 'json', count: 5 },
          id: expect.stringMatching(UUID),
        });
      });
    });
  },
);
