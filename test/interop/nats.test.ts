// go-micro v5.30.0 and nest-micro on NATS only: registry and transport on one nats-server on
// 127.0.0.1, both sides configured by go-micro's variables (MICRO_REGISTRY=nats,
// MICRO_TRANSPORT=nats and their addresses; MICRO_SERVER_ADDRESS=":0" makes the Go server take an
// _INBOX subject, as go-micro's default does). Rows: a Go service found through the NATS registry and
// called (unary, a server stream, a bidi stream, a client stream) over the NATS transport from Node,
// a Node service found and called (unary, server, bidi and client streams) by a Go client, and each
// side seeing the other's node (address = subject, transport = nats). Streams with a Go peer carry
// go-micro's wire: the Node client's credit-window offer is ignored by the Go server, and the Go
// client makes none (nats.flow.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, from, of, toArray } from 'rxjs';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { NatsRegistry } from '../../lib/core/registry/nats/index.js';
import { CacheRegistry } from '../../lib/core/registry/cache.registry.js';
import { NatsTransport } from '../../lib/core/transport/nats/index.js';
import { MicroClient, MicroModule } from '../../lib/index.js';
import { natsRequirement, startNats, type NatsServer } from '../support/nats.js';
import { waitFor } from '../support/processes.js';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  buildGoPeer,
  goAvailability,
  GO_BUILD_TIMEOUT_MS,
  runGoPeer,
  startGoPeer,
  type GoPeer,
} from './support/go-peer.js';
import { nodeGreeterReady, startNodeGreeter } from './support/node-peer.js';

describe.skipIf(goAvailability.skip || natsRequirement.skip)(
  `go-micro v5 and nest-micro on NATS (registry + transport) ${[goAvailability.reason, natsRequirement.reason].filter(Boolean).join('; ')}`,
  () => {
    let nats: NatsServer;
    let env: Record<string, string>;
    let goGreeter: GoPeer | undefined;
    let nodeGreeter: GoPeer | undefined;
    let caller: INestApplicationContext | undefined;
    let client: MicroClient;
    let registry: CacheRegistry;

    beforeAll(async () => {
      [nats] = await Promise.all([startNats({ jetstream: false }), buildGoPeer()]);
      env = {
        MICRO_REGISTRY: 'nats',
        MICRO_REGISTRY_ADDRESS: nats.address,
        MICRO_TRANSPORT: 'nats',
        MICRO_TRANSPORT_ADDRESS: nats.address,
        MICRO_SERVER_ADDRESS: ':0',
      };
      goGreeter = startGoPeer(['serve'], env);
      nodeGreeter = startNodeGreeter({ ...env, INTEROP_SERVICES: 'node.greeter' });
      registry = new CacheRegistry(NatsRegistry.fromAddress(nats.address, { timeout: 300 }));
      @Module({
        imports: [
          MicroModule.forRoot({
            name: 'node.caller',
            registry,
            transport: NatsTransport.fromAddress(nats.address),
            broker: new MemoryBroker(),
            env: false,
          }),
        ],
      })
      class CallerModule {}
      caller = await (await Test.createTestingModule({ imports: [CallerModule] }).compile()).init();
      client = caller.get(MicroClient);
      await goGreeter.ready(30_000);
      await nodeGreeterReady(nodeGreeter, ['node.greeter'], 60_000);
    }, GO_BUILD_TIMEOUT_MS + 90_000);

    afterAll(async () => {
      await caller?.close();
      await Promise.all([goGreeter?.stop(), nodeGreeter?.stop()]);
      await nats?.dispose();
    });

    it('Node finds the Go service through the NATS registry: an _INBOX subject on the nats transport', async () => {
      await waitFor(async () => (await registry.getService('go.greeter')).length > 0, 20_000, 'go.greeter');
      const [service] = await registry.getService('go.greeter');
      expect(service!.nodes[0]!.address).toMatch(/^_INBOX\./);
      expect(service!.nodes[0]!.metadata).toMatchObject({
        transport: 'nats',
        registry: 'nats',
        protocol: 'mucp',
      });
      expect(service!.endpoints.map((e) => e.name)).toContain('Greeter.Hello');
    });

    it('Node calls the Go service over the NATS transport', async () => {
      expect(await client.call('go.greeter', 'Greeter.Hello', { name: 'John' })).toEqual({
        msg: 'Hello John',
      });
      await expect(client.call('go.greeter', 'Greeter.Fail', { name: 'x' })).rejects.toMatchObject({
        code: expect.any(Number),
      });
    });

    it('Node streams from the Go service over the NATS transport', async () => {
      const replies = await firstValueFrom(
        client.stream('go.greeter', 'Greeter.ServerStream', of({ name: 'Ann', count: 3 })).pipe(toArray()),
      );
      expect(replies).toEqual([{ msg: 'Hello Ann #1' }, { msg: 'Hello Ann #2' }, { msg: 'Hello Ann #3' }]);
    });

    it('Node runs a bidi stream with the Go service over the NATS transport', async () => {
      const names = ['a', 'b', 'Zoë'];
      const replies = await firstValueFrom(
        client
          .stream('go.greeter', 'Greeter.Bidi', from(names.map((name) => ({ name }))), { endGrace: 300 })
          .pipe(toArray()),
      );
      expect(replies).toEqual(names.map((n) => ({ msg: `Hello ${n}` })));
    });

    it('Node runs a client stream to the Go service over the NATS transport: its one reply after our end', async () => {
      const replies = await firstValueFrom(
        client
          .stream('go.greeter', 'Greeter.Collect', from([{ name: 'a' }, { name: 'b' }, { name: 'ç' }]), {
            endGrace: 300,
          })
          .pipe(toArray()),
      );
      expect(replies).toEqual([{ msg: 'a,b,ç' }]);
    });

    it('Go finds the Node service through the NATS registry', async () => {
      const [found] = await runGoPeer(['get', '--service', 'node.greeter', '--wait', '2s'], env);
      const services = found!.services as Array<{
        nodes: Array<{ address: string; metadata: Record<string, string> }>;
      }>;
      expect(services.length).toBeGreaterThan(0);
      expect(services[0]!.nodes[0]!.address).toMatch(/^_INBOX\./);
      expect(services[0]!.nodes[0]!.metadata).toMatchObject({ transport: 'nats', registry: 'nats' });
    });

    it('a Go client calls the Node service over the NATS transport', async () => {
      const [line] = await runGoPeer(
        ['call', '--service', 'node.greeter', '--endpoint', 'Greeter.Hello', '--body', '{"name":"John"}'],
        env,
      );
      expect(line).toMatchObject({ ok: true, body: { msg: 'Hello John' } });
    });

    it('a Go client streams from the Node service over the NATS transport', async () => {
      const lines = await runGoPeer(
        [
          'stream',
          '--service',
          'node.greeter',
          '--endpoint',
          'Greeter.ServerStream',
          '--timeout',
          '8s',
          '--send',
          '{"name":"Ann","count":3}',
        ],
        env,
        { timeoutMs: 20_000 },
      );
      expect(lines.filter((l) => l.event === 'recv').map((l) => l.body)).toEqual(
        [1, 2, 3].map((i) => ({ msg: `Hello Ann #${i}` })),
      );
      expect(lines.find((l) => l.event === 'end')).toMatchObject({ ok: true, reason: 'eof', received: 3 });
    });

    it('a Go client runs a bidi stream with the Node service over the NATS transport', async () => {
      const lines = await runGoPeer(
        [
          'stream',
          '--service',
          'node.greeter',
          '--endpoint',
          'Greeter.Bidi',
          '--timeout',
          '8s',
          '--send',
          '{"name":"a"}',
          '--send',
          '{"name":"b"}',
          '--send',
          '{"name":"€"}',
          '--recv',
          '3',
        ],
        env,
        { timeoutMs: 20_000 },
      );
      expect(lines.filter((l) => l.event === 'recv').map((l) => l.body)).toEqual(
        ['a', 'b', '€'].map((n) => ({ msg: `Hello ${n}` })),
      );
      expect(lines.find((l) => l.event === 'end')).toMatchObject({ ok: true, reason: 'count', received: 3 });
    });

    it('a Go client streams requests to the Node service over the NATS transport (client stream)', async () => {
      const lines = await runGoPeer(
        [
          'stream',
          '--service',
          'node.greeter',
          '--endpoint',
          'Greeter.Collect',
          '--timeout',
          '8s',
          '--send',
          '{"name":"a"}',
          '--send',
          '{"name":"b"}',
          '--close-after-send',
        ],
        env,
        { timeoutMs: 20_000 },
      );
      // as over http (streams.test.ts): go-micro's client cannot half-close, Close() sends EOS and
      // shuts the stream, so the reply is never read by a Go client
      expect(lines.filter((l) => l.event === 'sent')).toHaveLength(2);
      expect(lines).toContainEqual({ event: 'closed', ok: true });
      expect(lines.find((l) => l.event === 'end')).toMatchObject({
        ok: false,
        stage: 'recv',
        received: 0,
        raw: 'connection is shut down',
      });
    });
  },
);
