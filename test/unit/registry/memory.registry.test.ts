// The in-process memory registry: register/get/list/deregister, TTL expiry, watch events, isolation.
import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import type { Service, WatchEvent } from '../../../lib/core/registry/registry.js';

const svc = (id: string, version = '1'): Service => ({
  name: 'mem',
  version,
  metadata: {},
  endpoints: [],
  nodes: [{ id, address: `127.0.0.1:${id.length}`, metadata: { k: 'v' } }],
});

describe('memory registry', () => {
  it('registers, gets by version, lists and deregisters node by node', async () => {
    const r = new MemoryRegistry();
    await r.register(svc('a'));
    await r.register(svc('b'));
    await r.register(svc('c', '2'));
    const got = await r.getService('mem');
    expect(got.map((s) => [s.version, s.nodes.map((n) => n.id)])).toEqual([
      ['1', ['a', 'b']],
      ['2', ['c']],
    ]);
    expect((await r.listServices()).map((s) => s.version)).toEqual(['1', '2']);
    await r.deregister(svc('a'));
    expect((await r.getService('mem'))[0]?.nodes.map((n) => n.id)).toEqual(['b']);
    await r.deregister(svc('b'));
    await r.deregister(svc('c', '2'));
    expect(await r.getService('mem')).toEqual([]);
    expect(await r.getService('unknown')).toEqual([]);
  });

  it('hands out copies: callers cannot change its state', async () => {
    const r = new MemoryRegistry();
    await r.register(svc('a'));
    const [copy] = await r.getService('mem');
    copy!.nodes[0]!.metadata.k = 'changed';
    copy!.nodes.pop();
    expect((await r.getService('mem'))[0]?.nodes[0]?.metadata.k).toBe('v');
  });

  it('expires nodes whose TTL lapsed and reports them as deleted', async () => {
    const r = new MemoryRegistry();
    const events: WatchEvent[] = [];
    r.watch((e) => events.push(e));
    await r.register(svc('short'), { ttl: 50 });
    await r.register(svc('long'), { ttl: 60_000 });
    await new Promise((res) => setTimeout(res, 80));
    expect((await r.getService('mem'))[0]?.nodes.map((n) => n.id)).toEqual(['long']);
    expect(events.filter((e) => e.action === 'delete').map((e) => e.service.nodes.map((n) => n.id))).toEqual([
      ['short'],
    ]);
  });

  it('watch filters by service and survives a throwing listener', async () => {
    const r = new MemoryRegistry();
    const events: string[] = [];
    r.watch(() => {
      throw new Error('listener bug');
    });
    const w = r.watch((e) => events.push(`${e.action}:${e.service.name}`), { service: 'mem' });
    await r.register(svc('a'));
    await r.register(svc('a'));
    await r.register({ ...svc('x'), name: 'other' });
    await r.deregister(svc('a'));
    w.stop();
    await r.register(svc('z'));
    expect(events).toEqual(['create:mem', 'update:mem', 'delete:mem']);
  });
});
