// A Nest service registered in a real etcd (MICRO_REGISTRY=etcd's registry, behind the cache) and
// called by name from a second Nest app; its key is go-micro's; an etcd restart is survived (the
// caller's cache serves meanwhile, the lease is kept); close deregisters.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../lib/core/registry/index.js';
import { etcdAvailability, startEtcd, type EtcdServer } from '../support/etcd.js';
import { waitFor } from '../support/processes.js';
import { startRegistryPair, type RegistryPair } from './registry-pair.js';

describe.skipIf(etcdAvailability.skip)(`a Nest service registered in etcd ${etcdAvailability.reason}`, () => {
  let etcd: EtcdServer;
  let admin: Etcd3;
  let pair: RegistryPair | undefined;
  const client = () => pair!.client;

  const greeterKeys = async (): Promise<string[]> =>
    Object.keys(await admin.getAll().prefix('/micro/registry/greeter/').strings());

  beforeAll(async () => {
    etcd = await startEtcd();
    admin = new Etcd3({ hosts: `http://${etcd.address}` });
    pair = await startRegistryPair('etcd', etcd.address, { id: 'greeter-e2e' });
  }, 90_000);

  afterAll(async () => {
    await pair?.caller.close();
    await pair?.service.close();
    admin?.close();
    await etcd?.dispose();
  });

  it('is called by name from a second Nest app', async () => {
    expect(await client().send('Greeter.Hello', { name: 'etcd' }).toPromise()).toEqual({ msg: 'Hello etcd' });
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
    expect(await client().call('greeter', 'Greeter.Hello', { name: 'during' })).toEqual({
      msg: 'Hello during',
    });
    await etcd.start();
    await waitFor(async () => (await greeterKeys()).length === 1, 30_000, 'greeter in etcd');
    expect(await client().call('greeter', 'Greeter.Hello', { name: 'after' })).toEqual({
      msg: 'Hello after',
    });
  }, 90_000);

  it('deregisters on close', async () => {
    await pair!.service.close();
    expect(await greeterKeys()).toEqual([]);
    const direct = createRegistry('etcd', etcd.address);
    try {
      expect(await direct.getService('greeter')).toEqual([]);
    } finally {
      await direct.close?.();
    }
  });
});
