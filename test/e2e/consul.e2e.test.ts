import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../lib/core/registry/index.js';
import { consulAvailability, consulBinary, startConsul, type ConsulAgent } from '../support/consul.js';
import { waitFor } from '../support/processes.js';
import { startRegistryPair, type RegistryPair } from './registry-pair.js';

describe.skipIf(consulAvailability.skip)(
  `a Nest service registered in Consul ${consulAvailability.reason}`,
  () => {
    let consul: ConsulAgent;
    let pair: RegistryPair | undefined;
    const client = () => pair!.client;

    beforeAll(async () => {
      consul = await startConsul();
      pair = await startRegistryPair('consul', consul.address);
    });

    afterAll(async () => {
      await pair?.caller.close();
      await pair?.service.close();
      await consul?.close();
    });

    it('is called by name from a second Nest app', async () => {
      expect(await client().send('Greeter.Hello', { name: 'consul' }).toPromise()).toEqual({
        msg: 'Hello consul',
      });
    });

    it('carries go-micro tags, as `consul catalog services -tags` shows them', () => {
      const out = execFileSync(
        consulBinary!,
        ['catalog', 'services', '-tags', `-http-addr=${consul.address}`],
        { encoding: 'utf8' },
      );
      const line = out.split('\n').find((l) => l.startsWith('greeter'))!;
      expect(line).toMatch(/\bv-[0-9a-f]+/);
      expect(line).toMatch(/\bt-[0-9a-f]+/);
      expect(line).toMatch(/\be-[0-9a-f]+/);
    });

    it('survives the agent restarting: the cache keeps serving, the service is back within a register interval', async () => {
      await consul.stop();
      // Agent down: the caller's cache still knows the node, so calls keep working.
      expect(await client().call('greeter', 'Greeter.Hello', { name: 'during' })).toEqual({
        msg: 'Hello during',
      });
      await consul.start();
      const direct = createRegistry('consul', consul.address);
      try {
        await waitFor(
          async () => (await direct.getService('greeter')).some((s) => s.nodes.length > 0),
          10_000,
          'greeter back in consul',
        );
      } finally {
        await direct.close?.();
      }
      expect(await client().call('greeter', 'Greeter.Hello', { name: 'after' })).toEqual({
        msg: 'Hello after',
      });
    });

    it('deregisters on close', async () => {
      await pair!.service.close();
      const direct = createRegistry('consul', consul.address);
      try {
        expect((await direct.getService('greeter')).flatMap((s) => s.nodes)).toEqual([]);
      } finally {
        await direct.close?.();
      }
    });
  },
);
