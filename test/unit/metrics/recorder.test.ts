// What the recorder fans out to an attached MeterProvider (the real SDK, read on demand): node
// ejections, breaker transitions, registry watch events and stale cache answers, go-micro's names;
// nothing is active once the provider is detached.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../../lib/core/client/circuit-breaker.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { activeMetrics, attachMeterProvider } from '../../../lib/core/metrics/index.js';
import { CacheRegistry } from '../../../lib/core/registry/cache.registry.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import type { Service } from '../../../lib/core/registry/registry.js';
import { RegistrySelector, roundRobin } from '../../../lib/core/selector/index.js';
import { TestReader } from '../../support/metrics.js';
import { node, service, StubRegistry } from '../selector/stub-registry.js';

const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });
let detach: () => void;

const lost = () => MicroError.unavailable('go.micro.client', 'connection reset');
const svc = (id: string): Service => ({
  name: 'watched',
  version: '1',
  metadata: {},
  endpoints: [],
  nodes: [{ id, address: '127.0.0.1:1', metadata: {} }],
});

beforeAll(() => {
  detach = attachMeterProvider(provider, { goMicroNames: true });
});
afterAll(async () => {
  detach();
  await provider.shutdown();
});

describe('metrics recorder', () => {
  it('counts a node ejection once, with the service and node id', () => {
    const selector = new RegistrySelector({
      registry: new StubRegistry({ greeter: [service('v1', [node('a'), node('b')])] }),
      strategy: roundRobin,
    });
    for (let i = 0; i < 5; i++) selector.mark('greeter', node('a'), lost());
    return expect(
      reader.point('micro.selector.ejections', { 'micro.service': 'greeter', 'micro.node.id': 'a' }),
    ).resolves.toMatchObject({ value: 1 });
  });

  it('counts breaker transitions by the state entered', async () => {
    const breakers = new CircuitBreakers();
    const breaker = breakers.for('payments', 'Pay.Charge', { consecutive: 1, halfOpenAfter: 0 });
    breaker.exit(breaker.enter(0) as number, MicroError.unavailable('payments', 'down'));
    const probe = breaker.enter(Date.now() + 1) as number;
    breaker.exit(probe, null);
    for (const state of ['open', 'half-open', 'closed'])
      expect(
        await reader.point('micro.client.breaker.transitions', {
          'micro.breaker.name': 'payments',
          'micro.breaker.state': state,
        }),
      ).toMatchObject({ value: 1 });
  });

  it('counts registry watch events and lookups answered stale', async () => {
    const inner = new (class extends MemoryRegistry {
      failing = false;
      override getService(name: string): Promise<Service[]> {
        return this.failing ? Promise.reject(new Error('registry down')) : super.getService(name);
      }
    })();
    const cache = new CacheRegistry(inner, { ttl: 1, logger: { warn: () => undefined } });
    await inner.register(svc('a'));
    await cache.getService('watched');
    await inner.register(svc('b'));
    const watched = { 'micro.registry': 'memory', 'micro.service': 'watched' };
    await expect.poll(() => reader.point('micro.registry.watch.events', watched)).toMatchObject({ value: 1 });
    inner.failing = true;
    await new Promise((r) => setTimeout(r, 5));
    expect((await cache.getService('watched')).length).toBe(1);
    expect(
      await reader.point('micro.registry.cache.stale_served', { 'micro.service': 'watched' }),
    ).toMatchObject({ value: 1 });
    await cache.close();
  });

  it("records go-micro's micro_request_total and micro_request_duration_seconds labels", async () => {
    const m = activeMetrics()!;
    m.serverStarted('greeter', 'Greeter.Hello');
    m.serverEnded('greeter', 'Greeter.Hello', performance.now(), null);
    m.serverStarted('greeter', 'Greeter.Hello');
    m.serverEnded('greeter', 'Greeter.Hello', performance.now(), MicroError.notFound('x', 'y'));
    const labels = { service: 'greeter', endpoint: 'Greeter.Hello' };
    expect(await reader.point('micro_request_total', { ...labels, status: 'success' })).toMatchObject({
      value: 1,
    });
    expect(await reader.point('micro_request_total', { ...labels, status: 'fail' })).toMatchObject({
      value: 1,
    });
    const duration = await reader.point('micro_request_duration_seconds', { ...labels, status: 'success' });
    expect((duration!.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]);
  });

  it('is inactive once the last provider is detached (and no global one is registered)', () => {
    const again = attachMeterProvider(provider);
    expect(activeMetrics()).toBeDefined();
    again();
    detach();
    expect(activeMetrics()).toBeUndefined();
    detach = attachMeterProvider(provider, { goMicroNames: true });
  });
});
