// A Nest service registered in a real etcd (MICRO_REGISTRY=etcd's registry, behind the cache) and
// called by name from a second Nest app; its key is go-micro's; an etcd restart is survived (the
// caller's cache serves meanwhile, the lease is kept); close deregisters.
import 'reflect-metadata';
import { Module, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../lib/core/registry/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MicroClient, MicroModule, MicroServer } from '../../lib/index.js';
import { etcdAvailability, startEtcd, type EtcdServer } from '../support/etcd.js';
import { waitFor } from '../support/processes.js';
import { GreeterController } from './greeter.fixture.js';

describe.skipIf(etcdAvailability.skip)(`a Nest service registered in etcd ${etcdAvailability.reason}`, () => {
  let etcd: EtcdServer;
  let admin: Etcd3;
  let service: INestMicroservice;
  let caller: INestApplicationContext;
  let client: MicroClient;
  let callerRegistry: Registry;

  const greeterKeys = async (): Promise<string[]> =>
    Object.keys(await admin.getAll().prefix('/micro/registry/greeter/').strings());

  beforeAll(async () => {
    etcd = await startEtcd();
    admin = new Etcd3({ hosts: `http://${etcd.address}` });
    const serviceRegistry = createRegistry('etcd', etcd.address);
    callerRegistry = createRegistry('etcd', etcd.address);
    const broker = new MemoryBroker();

    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'greeter',
          id: 'greeter-e2e',
          address: '127.0.0.1:0',
          registry: serviceRegistry,
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
        MicroModule.forRoot({ name: 'caller', registry: callerRegistry, broker, env: false }),
        MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
      ],
    })
    class CallerModule {}

    service = (await Test.createTestingModule({ imports: [ServiceModule] }).compile()).createNestMicroservice(
      {
        ...MicroServer.fromModule(),
        logger: false,
      },
    );
    await service.listen();
    caller = await (await Test.createTestingModule({ imports: [CallerModule] }).compile()).init();
    client = caller.get<MicroClient>('GREETER');
  }, 90_000);

  afterAll(async () => {
    await caller?.close();
    await service?.close();
    admin?.close();
    await etcd?.dispose();
  });

  it('is called by name from a second Nest app', async () => {
    expect(await client.send('Greeter.Hello', { name: 'etcd' }).toPromise()).toEqual({ msg: 'Hello etcd' });
  });

  it("is one go-micro key holding the service's JSON, bound to a lease", async () => {
    expect(await greeterKeys()).toEqual(['/micro/registry/greeter/greeter-e2e']);
    const { kvs } = await admin.get('/micro/registry/greeter/greeter-e2e').exec();
    expect(String(kvs[0]!.lease)).not.toBe('0');
    const value = JSON.parse(kvs[0]!.value.toString()) as {
      name: string;
      nodes: Array<{ id: string; metadata: Record<string, string> }>;
      endpoints: Array<{ name: string }>;
    };
    expect(value).toMatchObject({ name: 'greeter', version: 'latest' });
    expect(value.nodes).toEqual([
      expect.objectContaining({ id: 'greeter-e2e', metadata: expect.objectContaining({ registry: 'etcd' }) }),
    ]);
    expect(value.endpoints.map((e) => e.name)).toContain('Greeter.Hello');
  });

  it('survives etcd restarting: the cache keeps serving, the service is still registered after', async () => {
    await etcd.stop();
    // etcd down: the caller's cache still knows the node, so calls keep working.
    expect(await client.call('greeter', 'Greeter.Hello', { name: 'during' })).toEqual({
      msg: 'Hello during',
    });
    await etcd.start();
    await waitFor(async () => (await greeterKeys()).length === 1, 30_000, 'greeter in etcd');
    expect(await client.call('greeter', 'Greeter.Hello', { name: 'after' })).toEqual({ msg: 'Hello after' });
  }, 90_000);

  it('deregisters on close', async () => {
    await service.close();
    expect(await greeterKeys()).toEqual([]);
    const direct = createRegistry('etcd', etcd.address);
    try {
      expect(await direct.getService('greeter')).toEqual([]);
    } finally {
      await direct.close?.();
    }
  });
});
