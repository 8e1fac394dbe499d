// The etcd registry's pure parts: go-micro's key layout, the JSON value (and what decoding skips),
// grouping of values into services, and the endpoint list MICRO_REGISTRY_ADDRESS gives.
import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { resolveEtcdOptions } from '../../../lib/core/registry/etcd/etcd.options.js';
import {
  decodeValue,
  encodeNode,
  groupServices,
  nodePath,
  servicePath,
} from '../../../lib/core/registry/etcd/etcd.services.js';
import type { Service } from '../../../lib/core/registry/registry.js';

const service: Service = {
  name: 'greeter',
  version: '1.0.0',
  metadata: {},
  endpoints: [{ name: 'Greeter.Hello', metadata: { stream: 'true' }, request: { name: 'R', type: 'R' } }],
  nodes: [
    { id: 'a', address: '127.0.0.1:1', metadata: { protocol: 'mucp' } },
    { id: 'b', address: '127.0.0.1:2', metadata: {} },
  ],
};

describe('etcd registry encoding', () => {
  it("keys are go-micro's: prefix, service and node with '/' as '-'", () => {
    expect(nodePath('/micro/registry/', 'go.micro/srv', 'id/1')).toBe('/micro/registry/go.micro-srv/id-1');
    expect(servicePath('/micro/registry/', 'greeter')).toBe('/micro/registry/greeter');
  });

  it("a node's value is go-micro's JSON of the service with that node only, and decodes back", () => {
    const text = encodeNode(service, service.nodes[1]!);
    expect(text).toBe(
      '{"name":"greeter","version":"1.0.0","metadata":{},"endpoints":[{"request":{"name":"R","type":"R","values":null},"response":null,"metadata":{"stream":"true"},"name":"Greeter.Hello"}],"nodes":[{"metadata":{},"id":"b","address":"127.0.0.1:2"}]}',
    );
    expect(decodeValue(Buffer.from(text))).toEqual({ ...service, nodes: [service.nodes[1]] });
  });

  it('decodes what Go writes (nulls) and skips what is not a service', () => {
    expect(
      decodeValue(
        '{"name":"s","version":"","metadata":null,"endpoints":null,"nodes":[{"metadata":null,"id":"n","address":"h:1"}]}',
      ),
    ).toEqual({
      name: 's',
      version: '',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'n', address: 'h:1', metadata: {} }],
    });
    for (const bad of [
      '',
      'x',
      '[]',
      'null',
      '{"name":1}',
      '{"name":"s"}',
      '{"name":"s","nodes":[{"id":2}]}',
    ])
      expect(decodeValue(bad)).toBeUndefined();
    expect(decodeValue(undefined)).toBeUndefined();
  });

  it('groups values into one service per version, first value giving endpoints', () => {
    const a = { ...service, nodes: [service.nodes[0]!] };
    const b = { ...service, endpoints: [], nodes: [service.nodes[1]!] };
    const c = { ...service, version: '2', nodes: [{ id: 'c', address: 'h:3', metadata: {} }] };
    const grouped = groupServices([a, b, c], (s) => s.version);
    expect(grouped).toEqual([{ ...service }, c]);
    expect(a.nodes).toHaveLength(1); // inputs untouched
  });

  it('MICRO_REGISTRY_ADDRESS: comma-separated host[:port] or URLs, port 2379 by default', () => {
    expect(resolveEtcdOptions({ hosts: 'a:1, b ,https://c:3' }).hosts).toEqual([
      'http://a:1',
      'http://b:2379',
      'https://c:3',
    ]);
    expect(resolveEtcdOptions({}).hosts).toEqual(['http://127.0.0.1:2379']);
    expect(resolveEtcdOptions({ hosts: ['[::1]:5'] }).hosts).toEqual(['http://[::1]:5']);
    expect(resolveEtcdOptions({ prefix: '/x' }).prefix).toBe('/x/');
    expect(() => resolveEtcdOptions({ hosts: 'unix://x' })).toThrow(MicroError);
    expect(() => resolveEtcdOptions({ timeout: 0 })).toThrow(MicroError);
  });
});
