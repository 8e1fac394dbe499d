// The registry cache: hot lookups make no registry round trip, cold lookups coalesce, watch events
// keep entries current, entries expire and refresh, and stale entries serve when the registry fails.
import { describe, expect, it } from 'vitest';
import { CacheRegistry } from '../../../lib/core/registry/cache.registry.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Service } from '../../../lib/core/registry/registry.js';

const svc = (id: string, version = '1', name = 'svc'): Service => ({
  name,
  version,
  metadata: {},
  endpoints: [],
  nodes: [{ id, address: `127.0.0.1:${1000 + id.length}`, metadata: {} }],
});

/** A memory registry that counts lookups and can be made to fail. */
class FlakyRegistry extends MemoryRegistry {
  lookups = 0;
  failing = false;
  release?: () => void;
  gate?: Promise<void>;
  override async getService(name: string): Promise<Service[]> {
    this.lookups++;
    if (this.gate) await this.gate;
    if (this.failing) throw MicroError.unavailable('registry.test', 'registry unreachable');
    return super.getService(name);
  }
  hold(): void {
    this.gate = new Promise((r) => (this.release = r));
  }
}

const ids = (services: Service[]): string[] => services.flatMap((s) => s.nodes.map((n) => n.id)).toSorted();
const quiet = { warn: () => undefined };

describe('registry cache', () => {
  it('answers hot lookups from memory', async () => {
    const inner = new FlakyRegistry();
    const cache = new CacheRegistry(inner, { logger: quiet });
    await inner.register(svc('a'));
    expect(ids(await cache.getService('svc'))).toEqual(['a']);
    for (let i = 0; i < 5; i++) await cache.getService('svc');
    expect(inner.lookups).toBe(1);
    await cache.close();
  });

  it('coalesces concurrent cold lookups into one registry query', async () => {
    const inner = new FlakyRegistry();
    const cache = new CacheRegistry(inner, { logger: quiet });
    await inner.register(svc('a'));
    inner.hold();
    const pending = [cache.getService('svc'), cache.getService('svc'), cache.getService('svc')];
    inner.release!();
    const results = await Promise.all(pending);
    expect(results.map(ids)).toEqual([['a'], ['a'], ['a']]);
    expect(inner.lookups).toBe(1);
    await cache.close();
  });

  it('is kept current by watch events without new queries', async () => {
    const inner = new FlakyRegistry();
    const cache = new CacheRegistry(inner, { logger: quiet });
    await inner.register(svc('a'));
    await cache.getService('svc');
    await inner.register(svc('b'));
    await inner.register(svc('c', '2'));
    expect(ids(await cache.getService('svc'))).toEqual(['a', 'b', 'c']);
    await inner.deregister(svc('a'));
    await inner.deregister(svc('c', '2'));
    expect(await cache.getService('svc')).toEqual([
      expect.objectContaining({ version: '1', nodes: [expect.objectContaining({ id: 'b' })] }),
    ]);
    expect(inner.lookups).toBe(1);
    await cache.close();
  });

  it('refreshes an expired entry from the registry', async () => {
    const inner = new FlakyRegistry();
    const cache = new CacheRegistry(inner, { ttl: 30, logger: quiet });
    await inner.register(svc('a'));
    await cache.getService('svc');
    await new Promise((r) => setTimeout(r, 50));
    await cache.getService('svc');
    expect(inner.lookups).toBe(2);
    await cache.close();
  });

  it('serves the stale entry with a warning when the registry fails', async () => {
    const inner = new FlakyRegistry();
    const warnings: string[] = [];
    const cache = new CacheRegistry(inner, { ttl: 10, logger: { warn: (m) => warnings.push(m) } });
    await inner.register(svc('a'));
    await cache.getService('svc');
    inner.failing = true;
    await new Promise((r) => setTimeout(r, 30));
    expect(ids(await cache.getService('svc'))).toEqual(['a']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/serving cached nodes.*registry unreachable/);
    // a service never seen has nothing stale to serve: the registry's typed error comes through
    await expect(cache.getService('never-seen')).rejects.toMatchObject({ code: 503 });
    inner.failing = false;
    await inner.register(svc('b'));
    await new Promise((r) => setTimeout(r, 30));
    expect(ids(await cache.getService('svc'))).toEqual(['a', 'b']);
    await cache.close();
  });

  it('does not cache empty answers, so a service that appears later is found', async () => {
    const inner = new FlakyRegistry();
    const cache = new CacheRegistry(inner, { logger: quiet });
    expect(await cache.getService('svc')).toEqual([]);
    await inner.register(svc('late'));
    expect(ids(await cache.getService('svc'))).toEqual(['late']);
    await cache.close();
  });

  it('hands out frozen snapshots a caller cannot corrupt, and forwards the not-found hint', async () => {
    const inner = new FlakyRegistry();
    Object.assign(inner, { notFoundHint: (s: string) => `no ${s} here` });
    const cache = new CacheRegistry(inner, { logger: quiet });
    await inner.register(svc('a'));
    const handed = await cache.getService('svc');
    expect(() => ((handed[0]!.nodes as unknown[]).length = 0)).toThrow(TypeError);
    expect(() => (handed[0]!.nodes[0]!.metadata.extra = 'x')).toThrow(TypeError);
    expect(ids(await cache.getService('svc'))).toEqual(['a']);
    expect(cache.notFoundHint('x')).toBe('no x here');
    expect(cache.name).toBe('memory');
    await cache.close();
  });
});
