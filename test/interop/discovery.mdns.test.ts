// Discovery between real go-micro v5.30.0 and nest-micro over mDNS, inside one network namespace:
// Go peers (`v5peer serve/list/get/watch`) and Node processes (fixtures/node-greeter.ts serving,
// fixtures/node-discovery.ts listing, getting, calling and watching) on its loopback. go-micro
// joins every interface and ignores MICRO_REGISTRY_ADDRESS; nest-micro runs with
// MICRO_REGISTRY_ADDRESS=127.0.0.1 (go-micro's packets reach it from 0.0.0.0 there).
// Rows: Go lists/gets/watches Node services (several services and subscribers in one process,
// `micro.http.broker` nodes with their topic), Node lists/describes/calls Go services, and a stopped
// service disappears on the other side, both ways (goodbye packets, TTL 0).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { createNetns, netnsAvailability, type Netns } from './support/netns.js';
import { nodeGreeterReady, startNodeGreeter } from './support/node-peer.js';
import {
  expectGoSeesNodeService,
  expectGoSeesSubscribers,
  expectNodeSeesGoService,
  type NodeReady,
} from './support/discovery.js';
import { why } from './support/greeter.js';

const GO = { MICRO_REGISTRY: 'mdns' };
const NODE = { MICRO_REGISTRY: 'mdns', MICRO_REGISTRY_ADDRESS: '127.0.0.1' };
/** The broker node of a `micro.http.broker` event, when it is the `topic` subscriber on loopback. */
const brokerEvent =
  (action: string, topic: string) =>
  (l: GoLine): boolean =>
    l.action === action &&
    l.service?.name === 'micro.http.broker' &&
    l.service.nodes?.[0]?.metadata?.topic === topic &&
    String(l.service.nodes[0].id).startsWith(`${topic}-`) &&
    l.service.nodes[0].address.startsWith('127.0.0.1:');

/** The Node client process (fixtures/node-discovery.ts) in the namespace, driven over stdin. */
interface NodeClient {
  /** Waits for a JSON line matching `predicate` (one seen already counts). */
  waitLine(predicate: (l: any) => boolean, what: string, ms?: number): Promise<any>;
  /** Sends one command and resolves to its result's value (rejects on `ok: false`). */
  ask(op: 'list' | 'get' | 'call', args?: object): Promise<any>;
}

function startNodeClient(ns: Netns): NodeClient {
  const [command, argv] = ns.exec(process.execPath, [
    '--import',
    './scripts/register-ts.mjs',
    'test/interop/fixtures/node-discovery.ts',
  ]);
  const child = spawn(command, argv, { env: { ...process.env, ...NODE }, stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid) ns.track(child.pid); // ns.close() ends it
  let output = '';
  const lines: any[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    const text = partial + d.toString();
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line));
  });
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const waitLine = async (predicate: (l: any) => boolean, what: string, ms = 20_000): Promise<any> => {
    await waitFor(() => lines.some(predicate), ms, `${what} from the Node client\n${output}`);
    return lines.find(predicate);
  };
  let nextId = 0;
  return {
    waitLine,
    async ask(op, args = {}) {
      const id = ++nextId;
      child.stdin.write(JSON.stringify({ id, op, ...args }) + '\n');
      const line = await waitLine((l) => l.event === 'result' && l.id === id, `the ${op} result`, 10_000);
      if (!line.ok) throw new Error(`node ${op} failed: ${JSON.stringify(line.error)}`);
      return line.value;
    },
  };
}

describe.skipIf(goAvailability.skip || netnsAvailability.skip)(
  `discovery between go-micro v5 and nest-micro over mDNS ${why(goAvailability.reason, netnsAvailability.reason)}`,
  () => {
    let ns: Netns;
    let goWatch: GoPeer;
    let goGreeter: GoPeer;
    let goReady: ReadyLine;
    let nodeGreeter: GoPeer;
    let nodeReady: NodeReady[];
    let nodeClient: NodeClient;

    /** A Go one-shot mode in the namespace, run again (at most `tries` times) until `done`. */
    const goUntil = async (args: string[], done: (l: GoLine) => boolean, tries = 5): Promise<GoLine> => {
      let last: GoLine | undefined;
      for (let i = 0; i < tries; i++) {
        [last] = await runGoPeer(args, GO, { netns: ns });
        if (last && done(last)) return last;
      }
      throw new Error(`go ${args.join(' ')} never matched; last: ${JSON.stringify(last)}`);
    };
    /** go-micro Watch's `micro.http.broker` events of one action and topic so far. */
    const brokerEvents = (action: string, topic: string): GoLine[] =>
      goWatch.lines().filter(brokerEvent(action, topic));
    /** Waits until go-micro's Watch reported `action` for both Node apps' `topic` subscribers. */
    const bothSubscribers = (action: string, topic: string): Promise<void> =>
      waitFor(
        () => new Set(brokerEvents(action, topic).map((l) => l.service.nodes[0].id)).size === 2,
        10_000,
        `go watch: ${action} of both ${topic} subscribers\n${goWatch.output()}`,
      );

    beforeAll(async () => {
      [, ns] = await Promise.all([buildGoPeer(), createNetns()]);
      // Go watches before any Node process starts; Node watches before the Go greeter starts.
      goWatch = startGoPeer(['watch'], GO, { netns: ns });
      await goWatch.waitForLine((l) => l.event === 'watching', 10_000, 'watching');
      nodeGreeter = startNodeGreeter({ ...NODE, INTEROP_SERVICES: 'node.a,node.b' }, { netns: ns });
      nodeClient = startNodeClient(ns);
      await nodeClient.waitLine((l) => l.event === 'ready', 'the Node client', 30_000);
      goGreeter = startGoPeer(['serve'], GO, { netns: ns });
      goReady = await goGreeter.ready();
      await nodeGreeterReady(nodeGreeter, ['node.a', 'node.b']);
      nodeReady = nodeGreeter.lines().filter((l) => l.event === 'ready') as NodeReady[];
    }, GO_BUILD_TIMEOUT_MS + 60_000);
    afterAll(() => ns?.close());

    it('Go ListServices sees every Node service of one process, and the broker of its subscribers', async () => {
      const listed = await goUntil(['list', '--wait', '2s'], (l) =>
        ['node.a', 'node.b', 'micro.http.broker', 'go.greeter'].every((s) => l.services?.includes(s)),
      );
      expect(listed.ok).toBe(true);
    });

    it('Go GetService sees each Node service: its node, every endpoint, metadata protocol=mucp', async () => {
      for (const ready of nodeReady) {
        const found = await goUntil(
          ['get', '--service', ready.service, '--wait', '2s'],
          (l) => l.services?.length > 0,
        );
        expectGoSeesNodeService(found.services, ready, 'mdns');
      }
    });

    it('Go GetService("micro.http.broker") sees every subscriber of the Node process, with its topic', async () => {
      const found = await goUntil(
        ['get', '--service', 'micro.http.broker', '--wait', '2s'],
        (l) => (l.services ?? []).flatMap((s: { nodes: unknown[] }) => s.nodes).length >= 4,
      );
      expectGoSeesSubscribers(found.services);
    });

    it('Go Watch sees a Node process come: create for each service and each subscriber', async () => {
      for (const ready of nodeReady) {
        const created = await goWatch.waitForLine(
          (l) => l.action === 'create' && l.service?.nodes?.[0]?.id === ready.nodeId,
          10_000,
          `create ${ready.service}`,
        );
        expect(created.service).toMatchObject({ name: ready.service, version: 'latest' });
        expect(created.service.nodes[0]).toMatchObject({ address: ready.address });
      }
      await bothSubscribers('create', 'interop.broadcast');
      await bothSubscribers('create', 'interop.queue');
      expect(brokerEvents('create', 'interop.broadcast')[0].service.version).toBe('ff.http.broadcast');
      expect(brokerEvents('create', 'interop.queue')[0].service.version).toBe('workers');
    });

    it("Go's client calls a Node service it found by mDNS", async () => {
      const [reply] = await runGoPeer(
        ['call', '--service', 'node.b', '--endpoint', 'Greeter.Hello', '--body', '{"name":"Go"}'],
        GO,
        { netns: ns },
      );
      expect(reply).toMatchObject({ ok: true, body: { msg: 'Hello Go' } });
    });

    it('Node lists and gets the Go service, saw it come, and its client calls it through mDNS', async () => {
      const listed: string[] = await nodeClient.ask('list');
      expect(listed).toEqual(expect.arrayContaining(['go.greeter', 'node.a', 'node.b', 'micro.http.broker']));

      // the node, its metadata and go-micro's endpoint Value trees come through the TXT record intact
      const [service] = await nodeClient.ask('get', { service: 'go.greeter' });
      expectNodeSeesGoService(service, goReady, 'mdns');

      const created = await nodeClient.waitLine(
        (l) => l.event === 'watch' && l.action === 'create' && l.nodes?.[0]?.id === goReady.nodeId,
        'watch: create go.greeter',
        5_000,
      );
      expect(created).toMatchObject({ service: 'go.greeter', nodes: [{ address: goReady.address }] });

      expect(
        await nodeClient.ask('call', {
          service: 'go.greeter',
          endpoint: 'Greeter.Hello',
          body: { name: 'Node' },
        }),
      ).toEqual({
        msg: 'Hello Node',
      });
    });

    it("a stopped Go service disappears from Node: go-micro's goodbye is a watch delete, and it is no longer found", async () => {
      const gone = startGoPeer(['serve', '--name', 'go.gone'], GO, { netns: ns });
      const ready = await gone.ready();
      const event = (action: string) => (l: any) =>
        l.event === 'watch' &&
        l.action === action &&
        l.service === 'go.gone' &&
        l.nodes?.[0]?.id === ready.nodeId;
      const created = await nodeClient.waitLine(event('create'), 'watch: create go.gone', 10_000);
      expect(created.nodes[0]).toMatchObject({ id: ready.nodeId, address: ready.address });
      expect(await nodeClient.ask('get', { service: 'go.gone' })).toHaveLength(1);

      await gone.stop();
      await nodeClient.waitLine(event('delete'), 'watch: delete go.gone', 10_000);
      expect(await nodeClient.ask('get', { service: 'go.gone' })).toEqual([]);
      expect(await nodeClient.ask('list')).not.toContain('go.gone');
    });

    // Last: it stops the shared Node greeter.
    it('a stopped Node process disappears from Go: Watch sees a delete per service and subscriber, GetService finds none', async () => {
      await nodeGreeter.stop('SIGTERM');
      for (const ready of nodeReady) {
        const deleted = await goWatch.waitForLine(
          (l) => l.action === 'delete' && l.service?.nodes?.[0]?.id === ready.nodeId,
          10_000,
          `delete ${ready.service}`,
        );
        expect(deleted.service.name).toBe(ready.service);
      }
      await bothSubscribers('delete', 'interop.broadcast');
      await bothSubscribers('delete', 'interop.queue');

      for (const service of ['node.a', 'node.b', 'micro.http.broker']) {
        const [after] = await runGoPeer(['get', '--service', service, '--wait', '300ms'], GO, { netns: ns });
        expect(after).toEqual({ ok: true, services: [] });
      }
      const [listed] = await runGoPeer(['list', '--wait', '300ms'], GO, { netns: ns });
      expect(listed?.services).toEqual(['go.greeter']);
    });
  },
);
