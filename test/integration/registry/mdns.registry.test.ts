// mDNS registry in one process on 127.0.0.1: go-micro's record layout as seen by a plain mDNS
// client, listing, the not-found hint, typed errors for bad input, and which sources count as local.
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import makeMdns from 'multicast-dns';
import type { Answer, Packet } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTxt } from '../../../lib/core/registry/encoding.js';
import { MdnsRegistry } from '../../../lib/core/registry/mdns/mdns.registry.js';
import { isLocalSource } from '../../../lib/core/registry/mdns/mdns.options.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Service } from '../../../lib/core/registry/registry.js';

const service: Service = {
  name: 'layout',
  version: '2.0.0',
  metadata: {},
  endpoints: [{ name: 'Layout.Get', metadata: { stream: 'true' } }],
  nodes: [{ id: 'layout-1', address: '127.0.0.1:7301', metadata: { protocol: 'mucp' } }],
};

/** A bare mDNS client on loopback asking one question from an ephemeral port (legacy unicast). */
async function ask(name: string, type: 'PTR' | 'SRV'): Promise<Answer[]> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  socket.setMulticastInterface('127.0.0.1');
  const client = makeMdns({ socket, port: 0, multicast: false, bind: false });
  const answers: Answer[] = [];
  client.on('response', (p: Packet) => answers.push(...(p.answers ?? [])));
  client.query({ questions: [{ name, type }] }, { port: 5353, address: '224.0.0.251' });
  await new Promise((r) => setTimeout(r, 300));
  await new Promise<void>((r) => client.destroy(() => r()));
  return answers;
}

describe('mDNS registry on 127.0.0.1', () => {
  const registry = new MdnsRegistry({ interface: '127.0.0.1' });
  beforeAll(() => registry.register(service, { ttl: 30_000 }));
  afterAll(() => registry.close());

  it('answers a PTR query with go-micro records: PTR, SRV, A, TXT', async () => {
    const answers = await ask('layout.micro', 'PTR');
    const by = (type: string) => answers.filter((a) => a.type === type);
    expect(by('PTR')[0]).toMatchObject({ name: 'layout.micro', data: 'layout-1.layout.micro', ttl: 30 });
    expect(by('SRV')[0]).toMatchObject({ name: 'layout-1.layout.micro', data: { port: 7301 } });
    expect(by('A')[0]).toMatchObject({ data: '127.0.0.1' });
    const txt = by('TXT')[0] as { data: Buffer[] };
    expect(decodeTxt(txt.data)).toEqual({
      service: 'layout',
      version: '2.0.0',
      metadata: { protocol: 'mucp' },
      endpoints: [{ name: 'Layout.Get', metadata: { stream: 'true' } }],
    });
  });

  it('lists its service under _services.micro.', async () => {
    const answers = await ask('_services.micro', 'PTR');
    expect(answers).toContainEqual(expect.objectContaining({ type: 'PTR', data: 'layout._services.micro' }));
    expect((await registry.listServices()).map((s) => s.name)).toContain('layout');
  });

  it('finds nothing for an unknown service and explains why', async () => {
    expect(await registry.getService('nobody-here')).toEqual([]);
    const hint = registry.notFoundHint('nobody-here');
    expect(hint).toMatch(/nobody-here/);
    expect(hint).toMatch(/multicast/i);
    expect(hint).toMatch(/MICRO_REGISTRY_ADDRESS/);
    expect(hint).toMatch(/127\.0\.0\.1/);
  });

  it('rejects bad input with typed 400 errors', async () => {
    await expect(registry.register({ ...service, nodes: [] })).rejects.toMatchObject({ code: 400 });
    await expect(
      registry.register({ ...service, nodes: [{ id: 'x', address: '127.0.0.1', metadata: {} }] }),
    ).rejects.toMatchObject({ code: 400 });
    await expect(
      registry.register({
        ...service,
        nodes: [{ id: 'x'.repeat(70), address: '127.0.0.1:1', metadata: {} }],
      }),
    ).rejects.toMatchObject({ code: 400 });
    expect(() => new MdnsRegistry({ interface: 'eth0' })).toThrow(MicroError);
    expect(() => new MdnsRegistry({ interface: '203.0.113.7' })).toThrow(/not an address of this machine/);
    expect(MdnsRegistry.fromAddress('127.0.0.1').options.interface).toBe('127.0.0.1');
  });

  it('ignores packets that are not go-micro records', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    socket.setMulticastInterface('127.0.0.1');
    const junk = makeMdns({ socket, port: 0, multicast: false, bind: false });
    const to = { port: 5353, address: '224.0.0.251' };
    junk.respond({ answers: [{ name: 'x.layout.micro', type: 'TXT', data: ['not-hex'] }] }, to);
    socket.send(Buffer.from('garbage'), 5353, '224.0.0.251');
    await new Promise((r) => setTimeout(r, 200));
    await new Promise<void>((r) => junk.destroy(() => r()));
    const [found] = await registry.getService('layout');
    expect(found?.nodes.map((n) => n.id)).toEqual(['layout-1']);
  });
});

describe('which sources a registry on 127.0.0.1 hears and answers (isLocalSource)', () => {
  it('loopback, and 0.0.0.0: a go-micro query or announcement on a loopback-only host', () => {
    expect(isLocalSource('127.0.0.1')).toBe(true);
    expect(isLocalSource('127.0.1.1')).toBe(true);
    expect(isLocalSource('0.0.0.0')).toBe(true);
  });

  it("this machine's own addresses: go-micro sends through the default interface", () => {
    const own = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .filter((i) => i.family === 'IPv4' && !i.internal)
      .map((i) => i.address);
    for (const address of own) expect(isLocalSource(address)).toBe(true);
  });

  it('not another machine', () => {
    expect(isLocalSource('192.0.2.7')).toBe(false); // TEST-NET-1, never assigned
  });
});
