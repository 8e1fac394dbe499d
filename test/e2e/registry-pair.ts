/**
 * The set-up of the server-registry e2e suites (Consul, etcd): the Greeter as a Nest microservice
 * registered in the registry at `address` (re-registered every second, 10 s TTL, no propagation
 * delay), and a second Nest app whose `GREETER` client finds it there by name. Each app has its own
 * registry client, as two processes would; they share a memory broker.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { createRegistry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroModule, MicroServer } from '../../lib/index.js';
import { GreeterController } from './greeter.fixture.js';

export interface RegistryPair {
  service: INestMicroservice;
  caller: INestApplicationContext;
  client: MicroClient;
}

export async function startRegistryPair(
  registry: 'consul' | 'etcd',
  address: string,
  service: { id?: string } = {},
): Promise<RegistryPair> {
  const broker = new MemoryBroker();
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'greeter',
        ...service,
        address: '127.0.0.1:0',
        registry: createRegistry(registry, address),
        broker,
        env: false,
        registerInterval: 1_000,
        registerTTL: 10_000,
        propagationDelay: 0,
      }),
    ],
    controllers: [GreeterController],
  })
  class ServiceModule {}
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'caller',
        registry: createRegistry(registry, address),
        broker,
        env: false,
      }),
      MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
    ],
  })
  class CallerModule {}

  const app = (await Test.createTestingModule({ imports: [ServiceModule] }).compile()).createNestMicroservice(
    {
      ...MicroServer.fromModule(),
      logger: false,
    },
  );
  await app.listen();
  const caller = await (await Test.createTestingModule({ imports: [CallerModule] }).compile()).init();
  return { service: app, caller, client: caller.get<MicroClient>('GREETER') };
}
