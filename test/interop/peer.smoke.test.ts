// The interop harness itself: a real go-micro v5 greeter (test/interop/go/v5peer) found and called
// by go-micro's own client, through Consul on 127.0.0.1 and through mDNS inside a network namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consulAvailability, startConsul, type ConsulAgent } from '../support/consul.js';
import {
  buildGoPeer,
  consulEnv,
  goAvailability,
  GO_BUILD_TIMEOUT_MS,
  runGoPeer,
  startGoPeer,
  type GoPeer,
} from './support/go-peer.js';
import { createNetns, netnsAvailability, type Netns } from './support/netns.js';
import { why } from './support/greeter.js';

const hello = ['call', '--service', 'go.greeter', '--endpoint', 'Greeter.Hello', '--body', '{"name":"John"}'];

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `go-micro v5 peers on Consul ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    let consul: ConsulAgent | undefined;
    let greeter: GoPeer | undefined;

    beforeAll(async () => {
      [consul] = await Promise.all([startConsul(), buildGoPeer()]);
      greeter = startGoPeer(['serve'], consulEnv(consul.address));
    }, GO_BUILD_TIMEOUT_MS + 30_000);
    afterAll(async () => {
      await greeter?.stop();
      await consul?.close();
    });

    it('serves Greeter.Hello to a Go client and is listed in the registry', async () => {
      const env = consulEnv(consul!.address);
      const ready = await greeter!.ready();
      expect(ready).toMatchObject({ service: 'go.greeter', registry: 'consul' });
      expect(ready.address).toMatch(/^127\.0\.0\.1:\d+$/);

      const [reply] = await runGoPeer(hello, env);
      expect(reply).toMatchObject({ ok: true, body: { msg: 'Hello John' } });
      const [listed] = await runGoPeer(['list'], env);
      expect(listed?.services).toContain('go.greeter');

      await greeter!.stop();
      expect(greeter!.lines().at(-1)).toEqual({ event: 'stopped' });
    });
  },
);

describe.skipIf(goAvailability.skip || netnsAvailability.skip)(
  `go-micro v5 peers on mDNS in a network namespace ${why(goAvailability.reason, netnsAvailability.reason)}`,
  () => {
    let ns: Netns | undefined;
    const mdns = { MICRO_REGISTRY: 'mdns' };

    beforeAll(async () => {
      [, ns] = await Promise.all([buildGoPeer(), createNetns()]);
    }, GO_BUILD_TIMEOUT_MS + 30_000);
    afterAll(() => ns?.close());

    it('has only loopback inside, and runs TypeScript there', async () => {
      const probe = await ns!.run(process.execPath, [
        '--import',
        './scripts/register-ts.mjs',
        'test/interop/fixtures/netns-probe.ts',
      ]);
      expect(probe.code, probe.stderr).toBe(0);
      expect(JSON.parse(probe.stdout)).toEqual({ interfaces: ['lo'] });
    });

    it('finds the Go greeter by mDNS and calls it', async () => {
      const greeter = startGoPeer(['serve'], mdns, { netns: ns });
      const ready = await greeter.ready();
      expect(ready.registry).toBe('mdns');

      const [found] = await runGoPeer(['get', '--service', 'go.greeter', '--wait', '5s'], mdns, {
        netns: ns,
      });
      expect(found?.services[0]?.nodes).toEqual([
        expect.objectContaining({ id: ready.nodeId, address: ready.address }),
      ]);
      const [reply] = await runGoPeer(hello, mdns, { netns: ns });
      expect(reply).toMatchObject({ ok: true, body: { msg: 'Hello John' } });
      await greeter.stop();
    });

    it('refuses an mDNS peer outside a namespace', () => {
      expect(() => startGoPeer(['list'], mdns)).toThrow(/netns/);
    });
  },
);
