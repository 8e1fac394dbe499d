import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import type { Node, Service } from '../../../lib/core/registry/registry.js';
import {
  composeFilters,
  filterEndpoint,
  filterLabel,
  filterNodes,
  filterVersion,
  RegistrySelector,
  type Filter,
  type SelectOptions,
} from '../../../lib/core/selector/index.js';
import { node, service, StubRegistry, tally } from './stub-registry.js';

function fixture() {
  return new StubRegistry({
    greeter: [
      service('v1', [node('a1', { zone: 'eu' }), node('a2', { zone: 'us' })], ['Greeter.Hello']),
      service('v2', [node('b1', { zone: 'eu', canary: 'yes' })], ['Greeter.Hello', 'Greeter.Bye']),
    ],
  });
}

async function ids(selector: RegistrySelector, options: SelectOptions = {}, n = 300): Promise<string[]> {
  const picked: Node[] = [];
  for (let i = 0; i < n; i++) {
    const chosen = (await selector.select('greeter', options))();
    picked.push(chosen);
    selector.mark('greeter', chosen, null);
  }
  return Object.keys(tally(picked)).toSorted();
}

const notA1: Filter = (services) => filterNodes(services, (n) => n.id !== 'a1');
describe('filters', () => {
  it('filterVersion sends only to nodes of matching versions', async () => {
    const selector = new RegistrySelector({ registry: fixture() });
    expect(await ids(selector, { filters: [filterVersion('v2')] })).toEqual(['b1']);
    expect(await ids(selector, { filters: [filterVersion('v1')] })).toEqual(['a1', 'a2']);
    expect(await ids(selector, { filters: [filterVersion('v1', 'v2')] })).toEqual(['a1', 'a2', 'b1']);
  });

  it('filterLabel matches node metadata, by value or by presence', async () => {
    const selector = new RegistrySelector({ registry: fixture() });
    expect(await ids(selector, { filters: [filterLabel('zone', 'eu')] })).toEqual(['a1', 'b1']);
    expect(await ids(selector, { filters: [filterLabel('canary')] })).toEqual(['b1']);
  });

  it('filterEndpoint keeps versions that advertise the endpoint', async () => {
    const selector = new RegistrySelector({ registry: fixture() });
    expect(await ids(selector, { filters: [filterEndpoint('Greeter.Bye')] })).toEqual(['b1']);
    expect(await ids(selector, { filters: [filterEndpoint('Greeter.Hello')] })).toEqual(['a1', 'a2', 'b1']);
  });

  it('custom functions compose with the built-ins, per selector then per call', async () => {
    const selector = new RegistrySelector({ registry: fixture(), filters: [filterLabel('zone', 'eu')] });
    expect(await ids(selector)).toEqual(['a1', 'b1']);
    expect(await ids(selector, { filters: [notA1] })).toEqual(['b1']);
    const both = composeFilters(filterVersion('v1'), filterLabel('zone', 'us'));
    expect(await ids(new RegistrySelector({ registry: fixture() }), { filters: [both] })).toEqual(['a2']);
  });

  it('no node left after filtering is a 503 "none available", not retryable', async () => {
    const selector = new RegistrySelector({ registry: fixture() });
    const error = await selector.select('greeter', { filters: [filterVersion('v9')] }).catch((e) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 503, retryable: false });
    expect(error.detail).toContain('none available');
  });

  it('never mutates the services a registry returned', async () => {
    const registry = fixture();
    const before = structuredClone(registry.services);
    const arrays = registry.services.greeter!.map((s) => s.nodes);
    const selector = new RegistrySelector({
      registry,
      filters: [filterLabel('zone', 'eu'), filterVersion('v1', 'v2'), filterEndpoint('Greeter.Hello')],
    });
    await ids(selector, { filters: [(s: Service[]) => filterNodes(s, (n) => n.id !== 'b1')] });
    expect(registry.services).toEqual(before);
    expect(registry.services.greeter!.map((s) => s.nodes)).toEqual(arrays);
    registry.services.greeter!.forEach((s, i) => expect(s.nodes).toBe(arrays[i]));
  });

  it('works against the in-memory registry', async () => {
    const registry = new MemoryRegistry();
    await registry.register(service('v1', [node('m1'), node('m2')]));
    await registry.register(service('v2', [node('m3')]));
    const selector = new RegistrySelector({ registry });
    expect(await ids(selector, { filters: [filterVersion('v1')] }, 100)).toEqual(['m1', 'm2']);
  });
});
