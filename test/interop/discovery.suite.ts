/**
 * Discovery between real go-micro v5.30.0 and nest-micro over one registry server on 127.0.0.1, run
 * once per server registry (discovery.consul.test.ts, discovery.etcd.test.ts): Go peers
 * (`v5peer serve/list/get/watch`), a Node greeter process (fixtures/node-greeter.ts, two services and
 * their subscribers in one process) and an in-process Node client (registry, watch, calls).
 * Rows: Go lists/gets/watches Node services (`micro.http.broker` nodes with their topic), Node
 * lists/gets/watches/calls Go services, calls across both ways, and a stopped service is
 * deregistered and disappears on the other side, both ways. mDNS has its own suite
 * (discovery.mdns.test.ts: a network namespace, a Node client process).
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, type WatchEvent } from '../../lib/core/registry/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MicroClient, MicroModule } from '../../lib/index.js';
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
import {
  expectGoSeesNodeService,
  expectGoSeesSubscribers,
  expectNodeSeesGoService,
  type NodeReady,
} from './support/discovery.js';
import { why } from './support/greeter.js';

/** One registry server the suite runs over, and how go-micro's registry for it behaves. */
export interface DiscoveryBackend {
  /** As in titles ("over Consul"). */
  title: string;
  /** MICRO_REGISTRY, and the `registry` node metadata both sides write. */
  registry: 'consul' | 'etcd';
  availability: { skip: boolean; reason: string };
  /** Starts the server; `address` is host:port as MICRO_REGISTRY_ADDRESS takes it. */
  start(): Promise<{ address: string; close(): Promise<void> }>;
  /**
   * go-micro's Watch on this registry: of every service at once (etcd), or of one named service
   * only (Consul), when the suite starts one Go watch per service it follows.
   */
  watchesEveryService: boolean;
  /**
   * The actions a go-micro Watch reports a new node of a service with: `create`, and on Consul also
   * `update` (its watcher diffs whole services: a node joining a known service is an update).
   */
  joinActions: string[];
  /** What go-micro's ListServices returns beside go.greeter once the Node process is gone. */
  ownServices: string[];
  /** Rows only this registry has, run after the Watch rows with the peers' env. */
  extraRows?: (env: () => Record<string, string>) => void;
}

/** Node ids a go-micro Watch reported for `service` with one of `actions` so far. */
const watchedIds = (watch: GoPeer, actions: string[], service: string): Set<string> =>
  new Set(
    watch
      .lines()
      .filter((l) => actions.includes(l.action) && l.service?.name === service)
      .flatMap((l) => (l.service?.nodes ?? []).map((n: { id: string }) => n.id)),
  );

/** The services the Go watches follow. */
const WATCHED = ['node.a', 'micro.http.broker'];

export function discoverySuite(backend: DiscoveryBackend): void {
  const { title, registry: kind, availability } = backend;
  describe.skipIf(goAvailability.skip || availability.skip)(
    `discovery between go-micro v5 and nest-micro over ${title} ${why(goAvailability.reason, availability.reason)}`,
    () => {
      let server: { address: string; close(): Promise<void> };
      let env: Record<string, string>;
      /** The Go watch that follows each of WATCHED (one peer for all where Watch takes every service). */
      const goWatch = new Map<string, GoPeer>();
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
      const watchOf = (service: string): GoPeer => goWatch.get(service)!;
      const brokerIds = async (): Promise<string[]> =>
        (await go(['get', '--service', 'micro.http.broker'])).services.flatMap(
          (s: { nodes: Array<{ id: string }> }) => s.nodes.map((n) => n.id),
        );

      beforeAll(async () => {
        [server] = await Promise.all([backend.start(), buildGoPeer()]);
        env = { MICRO_REGISTRY: kind, MICRO_REGISTRY_ADDRESS: server.address };
        // Go watches before the Node process starts; Node watches everything before the Go greeter.
        if (backend.watchesEveryService) {
          const all = startGoPeer(['watch'], env);
          for (const service of WATCHED) goWatch.set(service, all);
        } else {
          for (const service of WATCHED)
            goWatch.set(service, startGoPeer(['watch', '--service', service], env));
        }
        registry = createRegistry(kind, server.address);
        stopWatch = registry.watch((e) => nodeEvents.push(e)).stop;
        await Promise.all(
          [...new Set(goWatch.values())].map((w) =>
            w.waitForLine((l) => l.event === 'watching', 10_000, 'go watching'),
          ),
        );
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
        const peers = [...new Set(goWatch.values()), goGreeter, nodeGreeter];
        await Promise.all(peers.map((p) => p?.stop()));
        await server?.close();
      });

      it('Go ListServices sees every Node service of one process, and the broker of its subscribers', async () => {
        const listed = await go(['list']);
        expect(listed.services).toEqual(
          expect.arrayContaining(['node.a', 'node.b', 'micro.http.broker', 'go.greeter']),
        );
      });

      it(`Go GetService sees each Node service: its node, every endpoint, metadata registry=${kind}`, async () => {
        for (const ready of nodeReady) {
          const found = await go(['get', '--service', ready.service]);
          expectGoSeesNodeService(found.services, ready, kind);
        }
      });

      it('Go GetService("micro.http.broker") sees every subscriber of the Node process, with its topic', async () => {
        expectGoSeesSubscribers((await go(['get', '--service', 'micro.http.broker'])).services);
      });

      it('Go Watch sees the Node process come: its service and every subscriber of the broker', async () => {
        const nodeA = nodeReady.find((r) => r.service === 'node.a')!;
        const created = await watchOf('node.a').waitForLine(
          (l) =>
            l.action === 'create' && l.service?.nodes?.some((n: { id: string }) => n.id === nodeA.nodeId),
          10_000,
          'create node.a',
        );
        expect(created.service).toMatchObject({ name: 'node.a', version: 'latest' });
        expect(created.service.nodes).toEqual([expect.objectContaining({ address: nodeA.address })]);
        const ids = await brokerIds();
        expect(ids).toHaveLength(4);
        const watch = watchOf('micro.http.broker');
        await waitFor(
          () => {
            const seen = watchedIds(watch, backend.joinActions, 'micro.http.broker');
            return ids.every((id) => seen.has(id));
          },
          10_000,
          `go watch: every subscriber\n${watch.output()}`,
        );
      });

      backend.extraRows?.(() => env);

      it(`Go's client calls a Node service it found in ${title}`, async () => {
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

      it(`Node lists and gets the Go service, saw it come, and its client calls it through ${title}`, async () => {
        const names = (await registry.listServices()).map((s) => s.name);
        expect(names).toEqual(
          expect.arrayContaining(['go.greeter', 'node.a', 'node.b', 'micro.http.broker']),
        );

        const [service] = await registry.getService('go.greeter');
        expectNodeSeesGoService(service, goReady, kind);

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
        const ids = await brokerIds();
        await nodeGreeter.stop('SIGTERM');
        const nodeA = nodeReady.find((r) => r.service === 'node.a')!;
        const nodeWatch = watchOf('node.a');
        await waitFor(
          () => watchedIds(nodeWatch, ['delete'], 'node.a').has(nodeA.nodeId),
          10_000,
          `go watch: delete node.a\n${nodeWatch.output()}`,
        );
        const brokerWatch = watchOf('micro.http.broker');
        await waitFor(
          () => ids.every((id) => watchedIds(brokerWatch, ['delete'], 'micro.http.broker').has(id)),
          10_000,
          `go watch: delete every subscriber\n${brokerWatch.output()}`,
        );

        for (const service of ['node.a', 'node.b', 'micro.http.broker'])
          expect(await go(['get', '--service', service])).toEqual({ ok: true, services: [] });
        expect((await go(['list'])).services.toSorted()).toEqual(
          [...backend.ownServices, 'go.greeter'].toSorted(),
        );
      });
    },
  );
}
