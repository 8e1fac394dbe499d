/**
 * The chaos benchmark's caller: a Nest application context with MicroModule and an injected
 * MicroClient, as an application has, on the scenario's registry and the default transport. Its
 * call options are the ones the README recommends for calls that may be retried: two retries and a
 * one-second budget per attempt inside the default five-second call budget, so a stalled node costs
 * an attempt, not the call. Every attempt is recorded through the public `attemptWrappers` option.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createBroker } from 'nest-micro/broker';
import { createRegistry } from 'nest-micro/registry';
import { MicroClient, MicroModule, type ClientCallOptions } from 'nest-micro';
import type { RegistryChoice } from './fleet.js';
import type { Timeline } from './timeline.js';

export const CLIENT_OPTIONS: Partial<ClientCallOptions> = { retries: 2, attemptTimeout: 1_000 };

export interface ChaosClient {
  client: MicroClient;
  close(): Promise<void>;
}

export async function chaosClient(
  registry: RegistryChoice,
  service: string,
  timeline: Timeline,
  options: Partial<ClientCallOptions> = CLIENT_OPTIONS,
): Promise<ChaosClient> {
  const reg = createRegistry(registry.kind, registry.address);
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'chaos-client',
        registry: reg,
        broker: createBroker('memory', undefined, reg),
        env: false,
        client: { ...options, attemptWrappers: [timeline.attemptWrapper] },
      }),
      MicroModule.registerClients([{ name: 'CHAOS', service }]),
    ],
  })
  class ClientModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(ClientModule, {
    logger: false,
  });
  return {
    client: app.get<MicroClient>('CHAOS'),
    close: () => app.close(), // MicroModule closes its registry, transport and broker
  };
}
