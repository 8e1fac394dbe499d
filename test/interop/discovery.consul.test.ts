// Discovery between real go-micro v5.30.0 and nest-micro over one Consul on 127.0.0.1: Go peers
// (`v5peer serve/list/get/watch`), a Node greeter process (fixtures/node-greeter.ts, two services and
// their subscribers in one process) and an in-process Node client (registry, watch, calls).
// Rows: Go lists/gets/watches Node services (`micro.http.broker` nodes with their topic), Node
// lists/gets/watches/calls Go services, and a stopped service is deregistered and disappears on the
// other side, both ways. go-micro's Consul Watch needs a service name (see the last-but-one row).
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, type WatchEvent } from '../../lib/core/registry/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MicroClient, MicroModule } from '../../lib/index.js';
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
  type ReadyLine,
} from './support/go-peer.js';
import { nodeGreeterReady, startNodeGreeter } from './support/node-peer.js';
import { expectGoSeesNodeService, GREETER_ENDPOINTS, type NodeReady } from './support/discovery.js';
import { why } from './support/greeter.js';

/** A `micro.http.broker` node's metadata as go-micro's HTTP broker registers it. */
const subscriber = (topic: string): unknown =>
  expect.objectContaining({ broker: 'http', topic, secure: 'false' });

/** Node ids a go-micro Watch reported for `action` so far. */
const watchedIds = (watch: GoPeer, action: string): Set<string> =>
  new Set(
    watch
      .lines()
      .filter((l) => l.action === action)
      .flatMap((l) => (l.service?.nodes ?? []).map((n: { id: string }) => n.id)),
  );

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `discovery between go-micro v5 and nest-micro over Consul ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    let consul: ConsulAgent;
    let env: Record<string, string>;
    let goWatchNode: GoPeer;
    let goWatchBroker: GoPeer;
    let goGreeter: GoPeer;
    let goReady: ReadyLine;
    let nodeGreeter: GoPeer;
    let nodeReady: NodeReady[];
    let caller: INestApplicationContext;
    let client: MicroClient;
    let registry: Registry;
    const nodeEvents: WatchEvent[] = [];
    let stopWatch: (() => void) | undefined;

    const go = async (args: string[]): Promise<GoLine> => (await runGoPeer(args, env))[0]!;

    beforeAll(async () => {
      [consul] = await Promise.all([startConsul(), buildGoPeer()]);
      env = consulEnv(consul.address);
      // Go watches before the Node process starts (go-micro's Consul Watch takes one service);
      // Node watches everything before the Go greeter starts.
      goWatchNode = startGoPeer(['watch', '--service', 'node.a'], env);
      goWatchBroker = startGoPeer(['watch', '--service', 'micro.http.broker'], env);
      registry = createRegistry('consul', consul.address);
      stopWatch = registry.watch((e) => nodeEvents.push(e)).stop;
      await Promise.all([
        goWatchNode.waitForLine((l) => l.event === 'watching', 10_000, 'watching node.a'),
        goWatchBroker.waitForLine((l) => l.event === 'watching', 10_000, 'watching micro.http.broker'),
      ]);
      nodeGreeter = startNodeGreeter({ ...env, INTEROP_SERVICES: 'node.a,node.b' });
      @Module({
        imports: [
          MicroModule.forRoot({ name: 'node.discovery', registry, broker: new MemoryBroker(), env: false }),
        ],
      })
      class CallerModule {}
      caller = await (await Test.createTestingModule({ imports: [CallerModule] }).compile()).init();
      client = caller.get(MicroClient);
      goGreeter = startGoPeer(['serve'], env);
      goReady = await goGreeter.ready();
      await nodeGreeterReady(nodeGreeter, ['node.a', 'node.b']);
      nodeReady = nodeGreeter.lines().filter((l) => l.event === 'ready') as NodeReady[];
    }, GO_BUILD_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      stopWatch?.();
      await caller?.close();
      await Promise.all([goWatchNode?.stop(), goWatchBroker?.stop(), goGreeter?.stop(), nodeGreeter?.stop()]);
      await consul?.close();
    });

    it('Go ListServices sees every Node service of one process, and the broker of its subscribers', async () => {
      const listed = await go(['list']);
      expect(listed.services).toEqual(
        expect.arrayContaining(['node.a', 'node.b', 'micro.http.broker', 'go.greeter']),
      );
    });

    it('Go GetService sees each Node service: its node, every endpoint, metadata protocol=mucp', async () => {
      for (const ready of nodeReady) {
        const found = await go(['get', '--service', ready.service]);
        expectGoSeesNodeService(found.services, ready, 'consul');
      }
    });

    it('Go GetService("micro.http.broker") sees every subscriber of the Node process, with its topic', async () => {
      const found = await go(['get', '--service', 'micro.http.broker']);
      const byVersion = Object.fromEntries(
        (
          found.services as Array<{ version: string; nodes: Array<{ metadata: Record<string, string> }> }>
        ).map((s) => [s.version, s.nodes.map((n) => n.metadata)]),
      );
      expect(Object.keys(byVersion).toSorted()).toEqual(['ff.http.broadcast', 'workers']);
      expect(byVersion['ff.http.broadcast']).toEqual([
        subscriber('interop.broadcast'),
        subscriber('interop.broadcast'),
      ]);
      expect(byVersion.workers).toEqual([subscriber('interop.queue'), subscriber('interop.queue')]);
    });

    it('Go Watch sees the Node process come: its service and every subscriber of the broker', async () => {
      const nodeA = nodeReady.find((r) => r.service === 'node.a')!;
      const created = await goWatchNode.waitForLine(
        (l) => l.action === 'create' && l.service?.nodes?.some((n: { id: string }) => n.id === nodeA.nodeId),
        10_000,
        'create node.a',
      );
      expect(created.service).toMatchObject({ name: 'node.a', version: 'latest' });
      expect(created.service.nodes).toEqual([expect.objectContaining({ address: nodeA.address })]);
      const brokerIds = (await go(['get', '--service', 'micro.http.broker'])).services.flatMap(
        (s: { nodes: Array<{ id: string }> }) => s.nodes.map((n) => n.id),
      );
      expect(brokerIds).toHaveLength(4);
      await waitFor(
        () => {
          const seen = new Set([
            ...watchedIds(goWatchBroker, 'create'),
            ...watchedIds(goWatchBroker, 'update'),
          ]);
          return brokerIds.every((id: string) => seen.has(id));
        },
        10_000,
        `go watch: every subscriber\n${goWatchBroker.output()}`,
      );
    });

    it('go-micro v5.30.0 cannot Watch Consul without a service name: Watch() fails', async () => {
      // registry/consul/watcher.go:41 parses a consul "service" watch plan with wo.Service, and the
      // consul api refuses an empty one; the catalog-wide `handle` is never wired in.
      const peer = startGoPeer(['watch'], env);
      const exited = await peer.exited;
      expect(exited.code).toBe(1);
      expect(peer.lines().at(-1)).toEqual({
        event: 'fatal',
        error: 'Must specify a single service to watch',
      });
    });

    it("Go's client calls a Node service it found in Consul", async () => {
      const reply = await go([
        'call',
        '--service',
        'node.b',
        '--endpoint',
        'Greeter.Hello',
        '--body',
        '{"name":"Go"}',
      ]);
      expect(reply).toMatchObject({ ok: true, body: { msg: 'Hello Go' } });
    });

    it('Node lists and gets the Go service, saw it come, and its client calls it through Consul', async () => {
      const names = (await registry.listServices()).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['go.greeter', 'node.a', 'node.b', 'micro.http.broker']));

      const [service] = await registry.getService('go.greeter');
      expect(service).toMatchObject({ name: 'go.greeter', version: 'latest' });
      expect(service!.nodes).toEqual([
        {
          id: goReady.nodeId,
          address: goReady.address,
          metadata: expect.objectContaining({ protocol: 'mucp', server: 'mucp', registry: 'consul' }),
        },
      ]);
      expect(service!.endpoints.map((e) => e.name)).toEqual(expect.arrayContaining(GREETER_ENDPOINTS));
      expect(service!.endpoints.find((e) => e.name === 'Greeter.Hello')).toMatchObject({
        request: {
          name: 'Request',
          type: 'Request',
          values: [
            { name: 'name', type: 'string' },
            { name: 'count', type: 'int32' },
          ],
        },
        response: { name: 'Response', type: 'Response', values: [{ name: 'msg', type: 'string' }] },
        metadata: { description: 'Hello answers "Hello <name>".' },
      });

      await waitFor(
        () =>
          nodeEvents.some(
            (e) => e.action === 'create' && e.service.nodes.some((n) => n.id === goReady.nodeId),
          ),
        10_000,
        'node watch: create go.greeter',
      );

      expect(await client.call('go.greeter', 'Greeter.Hello', { name: 'Node' })).toEqual({
        msg: 'Hello Node',
      });
    });

    it('a stopped Go service is deregistered: Node sees a watch delete, and it is no longer found', async () => {
      const gone = startGoPeer(['serve', '--name', 'go.gone'], env);
      const ready = await gone.ready();
      const event = (action: string) => () =>
        nodeEvents.some(
          (e) =>
            e.action === action &&
            e.service.name === 'go.gone' &&
            e.service.nodes.some((n) => n.id === ready.nodeId),
        );
      await waitFor(event('create'), 10_000, 'node watch: create go.gone');
      expect(await registry.getService('go.gone')).toHaveLength(1);

      await gone.stop();
      await waitFor(event('delete'), 10_000, 'node watch: delete go.gone');
      expect(await registry.getService('go.gone')).toEqual([]);
      expect((await registry.listServices()).map((s) => s.name)).not.toContain('go.gone');
    });

    // Last: it stops the shared Node greeter.
    it('a stopped Node process is deregistered: Go Watch sees the deletes, GetService finds none', async () => {
      const brokerIds = (await go(['get', '--service', 'micro.http.broker'])).services.flatMap(
        (s: { nodes: Array<{ id: string }> }) => s.nodes.map((n) => n.id),
      );
      await nodeGreeter.stop('SIGTERM');
      const nodeA = nodeReady.find((r) => r.service === 'node.a')!;
      await waitFor(
        () => watchedIds(goWatchNode, 'delete').has(nodeA.nodeId),
        10_000,
        `go watch: delete node.a\n${goWatchNode.output()}`,
      );
      await waitFor(
        () => brokerIds.every((id: string) => watchedIds(goWatchBroker, 'delete').has(id)),
        10_000,
        `go watch: delete every subscriber\n${goWatchBroker.output()}`,
      );

      for (const service of ['node.a', 'node.b', 'micro.http.broker'])
        expect(await go(['get', '--service', service])).toEqual({ ok: true, services: [] });
      // go-micro lists Consul's own `consul` service too, in map order
      expect((await go(['list'])).services.toSorted()).toEqual(['consul', 'go.greeter']);
    });
  },
);
