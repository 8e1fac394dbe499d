// Discovery between real go-micro v5.30.0 and nest-micro over one etcd on 127.0.0.1, both configured
// by go-micro's variables (MICRO_REGISTRY=etcd MICRO_REGISTRY_ADDRESS=host:port): Go peers
// (`v5peer serve/list/get/watch`), a Node greeter process (fixtures/node-greeter.ts, two services and
// their subscribers in one process) and an in-process Node client (registry, watch, calls).
// Rows: Go lists/gets/watches Node services (`micro.http.broker` nodes with their topic), Node
// lists/gets/watches/calls Go services, calls across both ways, and a stopped service is
// deregistered and disappears on the other side, both ways. go-micro's etcd Watch needs no service
// name, so one Go watch sees everything.
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, type WatchEvent } from '../../lib/core/registry/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MicroClient, MicroModule } from '../../lib/index.js';
import { etcdAvailability, startEtcd, type EtcdServer } from '../support/etcd.js';
import { waitFor } from '../support/processes.js';
import {
  buildGoPeer,
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

/** Env for a Go or Node peer on the etcd at `address`, in go-micro's variables. */
const etcdEnv = (address: string): Record<string, string> => ({
  MICRO_REGISTRY: 'etcd',
  MICRO_REGISTRY_ADDRESS: address,
});

/** A `micro.http.broker` node's metadata as go-micro's HTTP broker registers it. */
const subscriber = (topic: string): unknown =>
  expect.objectContaining({ broker: 'http', topic, secure: 'false' });

/** Node ids a go-micro Watch reported for `action` so far, for `service`. */
const watchedIds = (watch: GoPeer, action: string, service: string): Set<string> =>
  new Set(
    watch
      .lines()
      .filter((l) => l.action === action && l.service?.name === service)
      .flatMap((l) => (l.service?.nodes ?? []).map((n: { id: string }) => n.id)),
  );

describe.skipIf(goAvailability.skip || etcdAvailability.skip)(
  `discovery between go-micro v5 and nest-micro over etcd ${why(goAvailability.reason, etcdAvailability.reason)}`,
  () => {
    let etcd: EtcdServer;
    let env: Record<string, string>;
    let goWatch: GoPeer;
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
      [etcd] = await Promise.all([startEtcd(), buildGoPeer()]);
      env = etcdEnv(etcd.address);
      // Go watches everything before the Node process starts; Node before the Go greeter starts.
      goWatch = startGoPeer(['watch'], env);
      registry = createRegistry('etcd', etcd.address);
      stopWatch = registry.watch((e) => nodeEvents.push(e)).stop;
      await goWatch.waitForLine((l) => l.event === 'watching', 10_000, 'go watching');
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
    }, GO_BUILD_TIMEOUT_MS + 90_000);

    afterAll(async () => {
      stopWatch?.();
      await caller?.close();
      await Promise.all([goWatch?.stop(), goGreeter?.stop(), nodeGreeter?.stop()]);
      await etcd?.dispose();
    });

    it('Go ListServices sees every Node service of one process, and the broker of its subscribers', async () => {
      const listed = await go(['list']);
      expect(listed.services).toEqual(
        expect.arrayContaining(['node.a', 'node.b', 'micro.http.broker', 'go.greeter']),
      );
    });

    it('Go GetService sees each Node service: its node, every endpoint, metadata registry=etcd', async () => {
      for (const ready of nodeReady) {
        const found = await go(['get', '--service', ready.service]);
        expectGoSeesNodeService(found.services, ready, 'etcd');
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

    it('Go Watch (every service) sees the Node process come: its services and every subscriber', async () => {
      const nodeA = nodeReady.find((r) => r.service === 'node.a')!;
      const created = await goWatch.waitForLine(
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
          const seen = watchedIds(goWatch, 'create', 'micro.http.broker');
          return brokerIds.every((id: string) => seen.has(id));
        },
        10_000,
        `go watch: every subscriber\n${goWatch.output()}`,
      );
    });

    it("Go's client calls a Node service it found in etcd", async () => {
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

    it('Node lists and gets the Go service, saw it come, and its client calls it through etcd', async () => {
      const names = (await registry.listServices()).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['go.greeter', 'node.a', 'node.b', 'micro.http.broker']));

      const [service] = await registry.getService('go.greeter');
      expect(service).toMatchObject({ name: 'go.greeter', version: 'latest' });
      expect(service!.nodes).toEqual([
        {
          id: goReady.nodeId,
          address: goReady.address,
          metadata: expect.objectContaining({ protocol: 'mucp', server: 'mucp', registry: 'etcd' }),
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
        () => watchedIds(goWatch, 'delete', 'node.a').has(nodeA.nodeId),
        10_000,
        `go watch: delete node.a\n${goWatch.output()}`,
      );
      await waitFor(
        () => brokerIds.every((id: string) => watchedIds(goWatch, 'delete', 'micro.http.broker').has(id)),
        10_000,
        `go watch: delete every subscriber\n${goWatch.output()}`,
      );

      for (const service of ['node.a', 'node.b', 'micro.http.broker'])
        expect(await go(['get', '--service', service])).toEqual({ ok: true, services: [] });
      expect((await go(['list'])).services).toEqual(['go.greeter']);
    });
  },
);
