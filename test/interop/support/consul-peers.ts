/**
 * The set-up most interop suites share, as one fixture: a Consul on 127.0.0.1, a Go greeter
 * (`v5peer serve`, go.greeter) and a Node greeter process (fixtures/node-greeter.ts, node.greeter) on
 * it, and, when asked, an in-process Nest caller whose `CLIENT` calls go.greeter. Call it inside a
 * `describe`: it registers the beforeAll that starts them and the afterAll that stops them, and
 * returns the handles, filled in once beforeAll has run.
 *
 *   const peers = consulPeers({ caller: 'node.caller' });
 *   it('…', async () => expect(await peers.goCall('node.greeter', 'Greeter.Hello')).toMatchObject(…));
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll } from 'vitest';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { createRegistry } from '../../../lib/core/registry/index.js';
import { MicroModule, type MicroClient } from '../../../lib/index.js';
import { startConsul, type ConsulAgent } from '../../support/consul.js';
import {
  buildGoPeer,
  consulEnv,
  GO_BUILD_TIMEOUT_MS,
  runGoPeer,
  startGoPeer,
  type GoLine,
  type GoPeer,
} from './go-peer.js';
import { startNodeGreeter } from './node-peer.js';

export interface ConsulPeersOptions {
  /** Flags of the Go greeter beyond `serve`. */
  goArgs?: string[];
  /** Variables of the Go greeter beyond the registry's. */
  goEnv?: Record<string, string>;
  /** Variables of the Node greeter beyond the registry's (default: no subscribers). */
  nodeEnv?: Record<string, string>;
  /** How long the Node greeter may take to be ready. */
  nodeReadyMs?: number;
  /** The in-process caller's service name; without it there is none (`client` stays unset). */
  caller?: string;
  /** beforeAll's time on top of a Go build's. */
  setupMs?: number;
}

export interface ConsulPeers {
  consul: ConsulAgent;
  /** MICRO_REGISTRY and MICRO_REGISTRY_ADDRESS of the Consul, for peers and the CLI. */
  env: Record<string, string>;
  goGreeter: GoPeer;
  nodeGreeter: GoPeer;
  /** The caller's `CLIENT` (service go.greeter). */
  client: MicroClient;
  /** `v5peer call` → its one output line. */
  goCall(service: string, endpoint: string, args?: string[]): Promise<GoLine>;
}

export function consulPeers(options: ConsulPeersOptions = {}): ConsulPeers {
  const { goArgs = [], goEnv = {}, nodeEnv = { INTEROP_SUBSCRIBE: '0' } } = options;
  let caller: INestApplicationContext | undefined;
  const peers = {
    goCall: async (service: string, endpoint: string, args: string[] = []): Promise<GoLine> => {
      const [line] = await runGoPeer(
        ['call', '--service', service, '--endpoint', endpoint, ...args],
        peers.env,
      );
      return line!;
    },
  } as ConsulPeers;

  beforeAll(
    async () => {
      [peers.consul] = await Promise.all([startConsul(), buildGoPeer()]);
      peers.env = consulEnv(peers.consul.address);
      peers.goGreeter = startGoPeer(['serve', ...goArgs], { ...peers.env, ...goEnv });
      peers.nodeGreeter = startNodeGreeter({ ...peers.env, ...nodeEnv });
      if (options.caller !== undefined) {
        const registry = createRegistry('consul', peers.consul.address);
        @Module({
          imports: [
            MicroModule.forRoot({ name: options.caller, registry, broker: new MemoryBroker(), env: false }),
            MicroModule.registerClients([{ name: 'CLIENT', service: 'go.greeter' }]),
          ],
        })
        class CallerModule {}
        caller = await (await Test.createTestingModule({ imports: [CallerModule] }).compile()).init();
        peers.client = caller.get<MicroClient>('CLIENT');
      }
      await peers.goGreeter.ready();
      await peers.nodeGreeter.ready(options.nodeReadyMs ?? 30_000);
    },
    GO_BUILD_TIMEOUT_MS + (options.setupMs ?? 60_000),
  );

  afterAll(async () => {
    await caller?.close();
    await Promise.all([peers.goGreeter?.stop(), peers.nodeGreeter?.stop()]);
    await peers.consul?.close();
  });

  return peers;
}
