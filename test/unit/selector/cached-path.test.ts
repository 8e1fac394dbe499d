/**
 * The selector's fast path: a registry cache's current entry is taken without a lookup promise
 * (cachedService), and the nodes of a deeply frozen answer are checked once per answer, not per
 * call — while a new answer, or one that is not frozen and changed in place, is always seen anew.
 */
import { describe, expect, it } from 'vitest';
import { CacheRegistry } from '../../../lib/core/registry/cache.registry.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import type { Service } from '../../../lib/core/registry/registry.js';
import { RegistrySelector, roundRobin } from '../../../lib/core/selector/index.js';
import { manualClock, node, service, StubRegistry, tally } from './stub-registry.js';

const deepFreeze = (services: Service[]): Service[] =>
  Object.freeze(
    services.map((s) => Object.freeze({ ...s, nodes: Object.freeze(s.nodes.map((n) => Object.freeze(n))) })),
  ) as Service[];

/** A registry with a cache's synchronous answer; counts promise lookups. */
class Cached extends StubRegistry {
  lookups = 0;
  cached: Service[] | undefined;
  override async getService(name: string): Promise<Service[]> {
    this.lookups++;
    return super.getService(name);
  }
  cachedService(): Service[] | undefined {
    return this.cached;
  }
}

async function picks(selector: RegistrySelector, n: number): Promise<Record<string, number>> {
  const picked = [];
  for (let i = 0; i < n; i++) {
    const chosen = (await selector.select('greeter'))();
    selector.mark('greeter', chosen, null, { duration: 1 });
    picked.push(chosen);
  }
  return tally(picked);
}

describe('selector cached path', () => {
  it('takes a cached answer without asking getService, and asks it when there is none', async () => {
    const registry = new Cached({ greeter: [service('v1', [node('a')])] });
    const selector = new RegistrySelector({ registry });
    registry.cached = deepFreeze([service('v1', [node('b')])]);
    expect(await picks(selector, 3)).toEqual({ b: 3 });
    expect(registry.lookups).toBe(0);
    registry.cached = undefined;
    expect(await picks(selector, 2)).toEqual({ a: 2 });
    expect(registry.lookups).toBe(2);
  });

  it('sees every new frozen answer, and ejects and restores nodes of one as before', async () => {
    const clock = manualClock();
    const registry = new Cached();
    const selector = new RegistrySelector({ registry, strategy: roundRobin, clock: clock.now });
    const a = node('a');
    registry.cached = deepFreeze([service('v1', [a, node('b')])]);
    expect(await picks(selector, 4)).toEqual({ a: 2, b: 2 });
    const refused = new Error('connect ECONNREFUSED');
    for (let i = 0; i < 3; i++) selector.mark('greeter', registry.cached[0]!.nodes[0]!, refused);
    expect(await picks(selector, 4)).toEqual({ b: 4 });
    clock.advance(1_000);
    expect((await picks(selector, 4)).a).toBeGreaterThan(0);
    registry.cached = deepFreeze([service('v1', [node('c')])]);
    expect(await picks(selector, 2)).toEqual({ c: 2 });
  });

  it('reads an answer that is not deeply frozen anew on every call', async () => {
    const services = [service('v1', [node('a')])];
    const registry = new StubRegistry({ greeter: Object.freeze(services) as Service[] });
    const selector = new RegistrySelector({ registry });
    expect(await picks(selector, 2)).toEqual({ a: 2 });
    services[0]!.nodes = [node('b')];
    expect(await picks(selector, 2)).toEqual({ b: 2 });
    services[0]!.nodes.push({ id: 'bad' } as never); // malformed entries are still skipped
    expect(await picks(selector, 2)).toEqual({ b: 2 });
  });

  it('a registry cache answers synchronously only while its entry is fresh', async () => {
    const inner = new MemoryRegistry();
    const cache = new CacheRegistry(inner, { ttl: 20, logger: { warn: () => undefined } });
    await inner.register(service('v1', [node('a')]));
    expect(cache.cachedService('greeter')).toBeUndefined();
    const fetched = await cache.getService('greeter');
    expect(cache.cachedService('greeter')).toBe(fetched);
    expect(Object.isFrozen(fetched[0]!.nodes[0])).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(cache.cachedService('greeter')).toBeUndefined();
    await cache.close();
  });
});
