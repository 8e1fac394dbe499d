// Decoding of records written by go-micro: Consul tags (registry/consul/encoding.go) and mDNS TXT
// records (registry/mdns_registry.go). The vectors are go-micro's documented encoding applied to
// the exact JSON Go's encoding/json emits for its structs (field order, null for nil).
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeEndpointTags,
  decodeHexZlib,
  decodeMetadataTags,
  decodeTxt,
  decodeVersionTag,
  encodeTags,
  encodeTxt,
} from '../../../lib/core/registry/encoding.js';
import { fromHealthEntries } from '../../../lib/core/registry/consul/consul.services.js';

const hexZlib = (s: string): string => deflateSync(Buffer.from(s)).toString('hex');

// json.Marshal(&registry.Endpoint{...}) — Go struct order: request, response, metadata, name.
const GO_ENDPOINT =
  '{"request":{"name":"Request","type":"Request","values":[{"name":"name","type":"string","values":null}]},' +
  '"response":{"name":"Response","type":"Response","values":null},"metadata":{"stream":"true"},"name":"Greeter.Hello"}';
const GO_SUBSCRIBER =
  '{"request":{"name":"Event","type":"Event","values":null},"response":null,"metadata":{"subscriber":"true","topic":"events"},"name":"Func"}';

const CONSUL_TAGS = [
  't-' + hexZlib('{"protocol":"mucp"}'),
  't-' + hexZlib('{"registry":"consul"}'),
  'e-' + hexZlib(GO_ENDPOINT),
  'e-' + hexZlib(GO_SUBSCRIBER),
  'v-' + hexZlib('1.2.0'),
];

const healthEntry = (id: string, status: string, version = '1.2.0') => ({
  Node: { Node: 'n1', Address: '10.0.0.9' },
  Service: {
    ID: id,
    Service: 'greeter',
    Tags: [...CONSUL_TAGS.slice(0, 4), 'v-' + hexZlib(version)],
    Address: '',
    Port: 9000,
  },
  Checks: [{ Status: 'passing' }, { Status: status }],
});

describe('go-micro Consul tags', () => {
  const tags = CONSUL_TAGS;

  it('decodes metadata, endpoints and version from the hex forms', () => {
    expect(decodeMetadataTags(tags)).toEqual({ protocol: 'mucp', registry: 'consul' });
    expect(decodeVersionTag(tags)).toBe('1.2.0');
    expect(decodeEndpointTags(tags)).toEqual([
      {
        name: 'Greeter.Hello',
        request: { name: 'Request', type: 'Request', values: [{ name: 'name', type: 'string' }] },
        response: { name: 'Response', type: 'Response' },
        metadata: { stream: 'true' },
      },
      {
        name: 'Func',
        request: { name: 'Event', type: 'Event' },
        metadata: { subscriber: 'true', topic: 'events' },
      },
    ]);
  });

  it('reads the legacy plain t=/e=/v= forms', () => {
    const legacy = ['t={"a":"1"}', `e=${GO_SUBSCRIBER}`, 'v=0.9'];
    expect(decodeMetadataTags(legacy)).toEqual({ a: '1' });
    expect(decodeEndpointTags(legacy).map((e) => e.name)).toEqual(['Func']);
    expect(decodeVersionTag(legacy)).toBe('0.9');
  });

  it('uses the first form found, as go-micro does', () => {
    const mixed = ['t-' + hexZlib('{"a":"hex"}'), 't={"b":"plain"}'];
    expect(decodeMetadataTags(mixed)).toEqual({ a: 'hex' });
  });

  it('skips corrupt and foreign tags instead of throwing', () => {
    const bad = ['t-zz', 't-' + hexZlib('not json'), 'e-0102', 'prod', 'v-', 'urlprefix-/x'];
    expect(decodeMetadataTags(bad)).toEqual({});
    expect(decodeEndpointTags(bad)).toEqual([]);
    expect(decodeVersionTag(['prod', 'web'])).toBeUndefined();
  });

  it('round-trips what we encode, one t- tag per key', () => {
    const endpoints = [{ name: 'A.B', metadata: {}, request: { name: 'R', type: 'R' } }];
    const ours = encodeTags({ x: '1', y: '2' }, endpoints, 'v1');
    expect(ours.filter((t) => t.startsWith('t-'))).toHaveLength(2);
    expect(decodeHexZlib(ours[0]!.slice(2))).toBe('{"x":"1"}');
    expect(decodeMetadataTags(ours)).toEqual({ x: '1', y: '2' });
    expect(decodeEndpointTags(ours)).toEqual(endpoints);
    expect(decodeVersionTag(ours)).toBe('v1');
  });

  it('turns health entries into services, dropping nodes with a critical check', () => {
    const services = fromHealthEntries('greeter', [
      healthEntry('a', 'passing'),
      healthEntry('b', 'critical'),
      healthEntry('c', 'warning'),
      healthEntry('d', 'passing', '2.0'),
    ]);
    expect(services.map((s) => [s.version, s.nodes.map((n) => n.id)])).toEqual([
      ['1.2.0', ['a', 'c']],
      ['2.0', ['d']],
    ]);
    expect(services[0]!.nodes[0]).toEqual({
      id: 'a',
      address: '10.0.0.9:9000',
      metadata: { protocol: 'mucp', registry: 'consul' },
    });
  });
});

describe('go-micro mDNS TXT records', () => {
  // json.Marshal(&mdnsTxt{...}) — untagged struct: Metadata, Service, Version, Endpoints.
  const goJson =
    '{"Metadata":{"broker":"http","protocol":"mucp","registry":"mdns","server":"mucp","transport":"http"},' +
    `"Service":"greeter","Version":"latest","Endpoints":[${GO_ENDPOINT},${GO_SUBSCRIBER}]}`;
  const encoded = hexZlib(goJson);
  const record: string[] = [];
  for (let i = 0; i < encoded.length; i += 255) record.push(encoded.slice(i, i + 255));

  it('decodes a record split into 255-character strings', () => {
    expect(record.length).toBeGreaterThan(1);
    const txt = decodeTxt(record);
    expect(txt?.service).toBe('greeter');
    expect(txt?.version).toBe('latest');
    expect(txt?.metadata.registry).toBe('mdns');
    expect(txt?.endpoints.map((e) => e.name)).toEqual(['Greeter.Hello', 'Func']);
    expect(txt?.endpoints[0]?.request?.values?.[0]).toEqual({ name: 'name', type: 'string' });
  });

  it('accepts the strings as Buffers, as dns-packet yields them', () => {
    expect(decodeTxt(record.map((r) => Buffer.from(r)))?.service).toBe('greeter');
  });

  it('encodes the same JSON keys and chunking go-micro decodes', () => {
    const ours = encodeTxt({ metadata: { a: 'b' }, service: 's', version: 'v', endpoints: [] });
    expect(ours.every((s) => s.length <= 255)).toBe(true);
    expect(JSON.parse(decodeHexZlib(ours.join(''))!)).toEqual({
      Metadata: { a: 'b' },
      Service: 's',
      Version: 'v',
      Endpoints: [],
    });
  });

  it('rejects records that are not go-micro TXT', () => {
    expect(decodeTxt(['txtvers=1'])).toBeUndefined();
    expect(decodeTxt([hexZlib('{"Service":""}')])).toBeUndefined();
    expect(decodeTxt([hexZlib('[1,2]')])).toBeUndefined();
    expect(decodeTxt([])).toBeUndefined();
  });
});
