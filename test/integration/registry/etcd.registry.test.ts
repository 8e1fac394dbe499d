// etcd registry against a real etcd on loopback: go-micro's keys and JSON on the wire, leases for
// the TTL, register/get/list/deregister, watch, expiry of a killed process's node, a lost lease
// registered again, an etcd restart (short, and longer than the lease), the cache serving while
// etcd is down, foreign values in the keyspace, typed errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { CacheRegistry } from '../../../lib/core/registry/cache.registry.js';
import { EtcdRegistry } from '../../../lib/core/registry/etcd/etcd.registry.js';
import { encodeNode } from '../../../lib/core/registry/etcd/etcd.services.js';
import type { Service, WatchEvent } from '../../../lib/core/registry/registry.js';
import { etcdAvailability, startEtcd, type EtcdServer } from '../../support/etcd.js';
import { makePki, opensslRequirement, type Pki } from '../../support/pki.js';
import { freePort } from '../../support/ports.js';
import { startProcess, waitFor, type Started } from '../../support/processes.js';

const svc = (name: string, id: string, port: number, md: Record<string, string> = {}): Service => ({
  name,
  version: '1.0.0',
  metadata: { owner: 'tests' },
  endpoints: [
    {
      name: 'Greeter.Hello',
      request: { name: 'HelloRequest', type: 'HelloRequest', values: [{ name: 'name', type: 'string' }] },
      response: { name: 'HelloResponse', type: 'HelloResponse' },
      metadata: {},
    },
  ],
  nodes: [{ id, address: `127.0.0.1:${port}`, metadata: { protocol: 'mucp', registry: 'etcd', ...md } }],
});

const nodeIds = (services: Service[]): string[] =>
  services.flatMap((s) => s.nodes.map((n) => n.id)).toSorted();

describe.skipIf(etcdAvailability.skip)(`etcd registry ${etcdAvailability.reason}`, () => {
  let etcd: EtcdServer;
  let registry: EtcdRegistry;
  let admin: Etcd3;
  const children: Started[] = [];

  /** The raw key of a node: its JSON value and lease id ('0' without one). */
  const raw = async (key: string): Promise<{ value: unknown; lease: string } | undefined> => {
    const { kvs } = await admin.get(key).exec();
    const kv = kvs[0];
    return kv ? { value: JSON.parse(kv.value.toString()), lease: String(kv.lease) } : undefined;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    registry = new EtcdRegistry({ hosts: etcd.address, env: false });
    admin = new Etcd3({ hosts: `http://${etcd.address}` });
  }, 90_000);
  afterAll(async () => {
    for (const c of children) await c.stop('SIGKILL');
    await registry?.close();
    admin?.close();
    await etcd?.dispose();
  });

  it("writes go-micro's key and JSON with a lease, gets, lists and deregisters", async () => {
    const s = svc('greeter/v2', 'greeter-1', 9001);
    await registry.register(s, { ttl: 30_000 });

    const key = '/micro/registry/greeter-v2/greeter-1';
    const stored = await raw(key);
    expect(stored?.lease).not.toBe('0');
    expect(stored?.value).toEqual({
      name: 'greeter/v2',
      version: '1.0.0',
      metadata: { owner: 'tests' },
      endpoints: [
        {
          request: {
            name: 'HelloRequest',
            type: 'HelloRequest',
            values: [{ name: 'name', type: 'string', values: null }],
          },
          response: { name: 'HelloResponse', type: 'HelloResponse', values: null },
          metadata: {},
          name: 'Greeter.Hello',
        },
      ],
      nodes: [{ metadata: s.nodes[0]!.metadata, id: 'greeter-1', address: '127.0.0.1:9001' }],
    });
    const lease = await admin.leaseClient.leaseTimeToLive({ ID: stored!.lease });
    expect(Number(lease.grantedTTL)).toBe(30);

    expect(await registry.getService('greeter/v2')).toEqual([s]);
    expect((await registry.listServices()).map((x) => [x.name, x.version])).toContainEqual([
      'greeter/v2',
      '1.0.0',
    ]);

    await registry.deregister(s);
    expect(await raw(key)).toBeUndefined();
    expect(await registry.getService('greeter/v2')).toEqual([]);
    await registry.deregister(s); // already gone: not an error
  });

  it('re-registering an unchanged node writes nothing; a changed one is rewritten on the same lease', async () => {
    const s = svc('pinger', 'pinger-1', 9002);
    const key = registry.keyOf('pinger', 'pinger-1');
    await registry.register(s, { ttl: 10_000 });
    const first = (await admin.get(key).exec()).kvs[0]!;
    await registry.register(s, { ttl: 10_000 });
    const again = (await admin.get(key).exec()).kvs[0]!;
    expect(String(again.mod_revision)).toBe(String(first.mod_revision));

    await registry.register(svc('pinger', 'pinger-1', 9002, { weight: '2' }), { ttl: 10_000 });
    const changed = (await admin.get(key).exec()).kvs[0]!;
    expect(String(changed.mod_revision)).not.toBe(String(first.mod_revision));
    expect(String(changed.lease)).toBe(String(first.lease));
    expect((await registry.getService('pinger'))[0]!.nodes[0]!.metadata.weight).toBe('2');
    await registry.deregister(s);
  });

  it('watch reports create, update and delete, for one service and for all', async () => {
    const one: WatchEvent[] = [];
    const all: WatchEvent[] = [];
    const w1 = registry.watch((e) => one.push(e), { service: 'watched' });
    const w2 = registry.watch((e) => all.push(e));
    // a watch is live once it reports something: write the probe until both have
    const probe = svc('watched', 'w-probe', 9010);
    let n = 0;
    await waitFor(
      async () => {
        const value = encodeNode(probe, { ...probe.nodes[0]!, metadata: { n: String(n++) } });
        await admin.put(registry.keyOf('watched', 'w-probe')).value(value);
        return one.length > 0 && all.length > 0;
      },
      30_000,
      'watches live',
    );
    await registry.deregister(probe);
    await waitFor(() => one.some((e) => e.action === 'delete'), 10_000, 'probe delete');
    one.length = 0;
    all.length = 0;

    const a = svc('watched', 'w-1', 9005);
    await registry.register(a, { ttl: 30_000 });
    await registry.register(svc('other', 'o-1', 9006), { ttl: 30_000 });
    await waitFor(() => one.some((e) => e.action === 'create'), 10_000, 'create');
    expect(one.find((e) => e.action === 'create')?.service).toEqual(a);

    await registry.register(svc('watched', 'w-1', 9005, { weight: '3' }), { ttl: 30_000 });
    await waitFor(() => one.some((e) => e.action === 'update'), 10_000, 'update');
    expect(one.find((e) => e.action === 'update')?.service.nodes[0]?.metadata.weight).toBe('3');

    await registry.deregister(a);
    await waitFor(() => one.some((e) => e.action === 'delete'), 10_000, 'delete');
    expect(nodeIds([one.find((e) => e.action === 'delete')!.service])).toEqual(['w-1']);
    expect(one.every((e) => e.service.name === 'watched')).toBe(true);

    await waitFor(
      () => all.some((e) => e.action === 'create' && e.service.name === 'other'),
      10_000,
      'all: other',
    );
    expect(all.map((e) => e.action)).toEqual(expect.arrayContaining(['create', 'update', 'delete']));
    w1.stop();
    w2.stop();
    await registry.deregister(svc('other', 'o-1', 9006));
  });

  it('the node of a process killed without deregistering leaves when its lease expires', async () => {
    const events: WatchEvent[] = [];
    const watcher = registry.watch((e) => events.push(e), { service: 'mortal' });
    const child = startProcess(process.execPath, [
      '--import',
      './scripts/register-ts.mjs',
      'test/integration/registry/fixtures/etcd-node.ts',
      etcd.address,
      'mortal',
      'mortal-1',
      '2000',
    ]);
    children.push(child);
    await waitFor(() => child.output().includes('"ready":true'), 60_000, `child ready\n${child.output()}`);
    expect(nodeIds(await registry.getService('mortal'))).toEqual(['mortal-1']);

    await child.stop('SIGKILL');
    await waitFor(async () => (await registry.getService('mortal')).length === 0, 30_000, 'lease expiry');
    await waitFor(() => events.some((e) => e.action === 'delete'), 10_000, 'watch delete');
    expect(nodeIds([events.find((e) => e.action === 'delete')!.service])).toEqual(['mortal-1']);
    watcher.stop();
  });

  it('a lost lease (revoked) is noticed and the node registered again with a new lease', async () => {
    const s = svc('phoenix', 'phoenix-1', 9007);
    const key = registry.keyOf('phoenix', 'phoenix-1');
    await registry.register(s, { ttl: 5_000 });
    const before = (await raw(key))!.lease;
    await admin.leaseClient.leaseRevoke({ ID: before });
    await waitFor(
      async () => {
        const now = await raw(key);
        return now !== undefined && now.lease !== before && now.lease !== '0';
      },
      30_000,
      're-registration',
    );
    expect(nodeIds(await registry.getService('phoenix'))).toEqual(['phoenix-1']);
    await registry.deregister(s);
  });

  it('ignores values in the keyspace that are not go-micro services', async () => {
    const events: WatchEvent[] = [];
    const watcher = registry.watch((e) => events.push(e));
    await admin.put('/micro/registry/junk/a').value('not json');
    await admin.put('/micro/registry/junk/b').value('{"name":5}');
    await admin.put('/micro/registry/junk/c').value('{"name":"junk","nodes":[{"id":7}]}');
    await admin.put('/micro/registry/junk/d').value('[]');
    await admin
      .put('/micro/registry/junk/e')
      .value('{"name":"elsewhere","nodes":[{"id":"x","address":"h:1"}]}');
    await admin.delete().key('/micro/registry/junk/a');
    const good = svc('junk', 'junk-1', 9008);
    await registry.register(good);
    await waitFor(() => events.some((e) => e.service.name === 'junk'), 10_000, 'good event');
    expect(events.filter((e) => e.service.name === 'junk').map((e) => e.action)).toEqual(['create']);
    // the value naming another service is that service's node as far as a listing goes (as in Go)
    expect(await registry.getService('junk')).toEqual([good]);
    expect((await registry.listServices()).map((x) => x.name)).toEqual(
      expect.arrayContaining(['junk', 'elsewhere']),
    );
    watcher.stop();
    await registry.deregister(good);
    await admin.delete().prefix('/micro/registry/junk/');
  });

  it('rejects bad input with typed 400 errors', async () => {
    await expect(registry.register({ ...svc('bad', 'b', 1), nodes: [] })).rejects.toMatchObject({
      code: 400,
    });
    await expect(
      registry.register({ ...svc('bad', 'b', 1), nodes: [{ id: '', address: 'h:1', metadata: {} }] }),
    ).rejects.toMatchObject({ code: 400 });
    await expect(registry.register({ ...svc('', 'b', 1) })).rejects.toMatchObject({ code: 400 });
    expect(() => new EtcdRegistry({ hosts: 'ftp://x:1' })).toThrow(MicroError);
    expect(() => new EtcdRegistry({ hosts: 'http://[bad' })).toThrow(MicroError);
  });

  it('an unreachable etcd is a retryable 503 on every call', async () => {
    const port = await freePort();
    const down = new EtcdRegistry({ hosts: `127.0.0.1:${port}`, timeout: 2_000, env: false });
    const error = await down.getService('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 503, retryable: true, id: 'registry.etcd' });
    await expect(down.listServices()).rejects.toMatchObject({ code: 503 });
    await expect(down.register(svc('x', 'x-1', 9009), { ttl: 10_000 })).rejects.toMatchObject({ code: 503 });
    await expect(down.deregister(svc('x', 'x-1', 9009))).rejects.toMatchObject({ code: 503 });
    await down.close();
    await expect(down.getService('x')).rejects.toMatchObject({ code: 503, retryable: false });
  });

  it('an etcd restart keeps the lease; the cache serves while etcd is down', async () => {
    const warnings: string[] = [];
    const cache = new CacheRegistry(registry, {
      ttl: 200,
      logger: { warn: (m) => warnings.push(m) },
      closeRegistry: false,
    });
    const s = svc('steady', 'steady-1', 9011);
    const key = registry.keyOf('steady', 'steady-1');
    await registry.register(s, { ttl: 5_000 });
    const lease = (await raw(key))!.lease;
    expect(nodeIds(await cache.getService('steady'))).toEqual(['steady-1']);

    await etcd.stop();
    await new Promise((r) => setTimeout(r, 300)); // let the cache entry expire
    expect(nodeIds(await cache.getService('steady'))).toEqual(['steady-1']);
    expect(warnings.join('\n')).toMatch(/serving cached nodes/);
    await expect(registry.register(svc('steady', 'steady-2', 9012), { ttl: 5_000 })).rejects.toMatchObject({
      code: 503,
      retryable: true,
    });

    await etcd.start();
    // the lease survived with the data; the keepalive took it up again
    await waitFor(async () => (await raw(key))?.lease === lease, 30_000, 'key back');
    await new Promise((r) => setTimeout(r, 6_000)); // longer than the TTL
    expect((await raw(key))?.lease).toBe(lease);
    await waitFor(async () => nodeIds(await cache.getService('steady')).length === 1, 10_000, 'cache');
    await cache.close();
    await registry.deregister(s);
  }, 90_000);

  it('an outage longer than the lease: the lease is lost and the node registered again once etcd is back', async () => {
    const s = svc('survivor', 'survivor-1', 9013);
    const key = registry.keyOf('survivor', 'survivor-1');
    await registry.register(s, { ttl: 2_000 });
    const lease = (await raw(key))!.lease;
    await etcd.stop();
    await new Promise((r) => setTimeout(r, 5_000)); // > 2 x TTL: the client gives the lease up
    await etcd.start();
    await waitFor(
      async () => {
        const now = await raw(key);
        return now !== undefined && now.lease !== lease;
      },
      30_000,
      're-registered with a new lease',
    );
    await new Promise((r) => setTimeout(r, 4_000)); // the old lease expires: the key stays
    expect(nodeIds(await registry.getService('survivor'))).toEqual(['survivor-1']);
    await registry.deregister(s);
  }, 90_000);
});

describe.skipIf(etcdAvailability.skip)(`etcd registry with auth ${etcdAvailability.reason}`, () => {
  let etcd: EtcdServer;
  const opened: EtcdRegistry[] = [];
  const open = (options: ConstructorParameters<typeof EtcdRegistry>[0]): EtcdRegistry => {
    const registry = new EtcdRegistry({ hosts: etcd.address, timeout: 3_000, ...options });
    opened.push(registry);
    return registry;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    const admin = new Etcd3({ hosts: `http://${etcd.address}` });
    try {
      await (await admin.user('root').create('rootpw')).addRole('root');
      const reader = await admin.role('reader').create();
      await reader.grant({ permission: 'Read', range: admin.range({ prefix: '/micro/registry/' }) });
      await (await admin.user('reader').create('readerpw')).addRole('reader');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
  }, 90_000);
  afterAll(async () => {
    for (const r of opened) await r.close();
    await etcd?.dispose();
  });

  it("registers with user and password, from the options or go-micro's ETCD_USERNAME / ETCD_PASSWORD", async () => {
    const s = svc('guarded', 'guarded-1', 9101);
    await open({ auth: { username: 'root', password: 'rootpw' } }).register(s, { ttl: 10_000 });
    const saved = { user: process.env.ETCD_USERNAME, password: process.env.ETCD_PASSWORD };
    process.env.ETCD_USERNAME = 'reader';
    process.env.ETCD_PASSWORD = 'readerpw';
    let fromEnv: EtcdRegistry;
    try {
      fromEnv = open({});
    } finally {
      if (saved.user === undefined) delete process.env.ETCD_USERNAME;
      else process.env.ETCD_USERNAME = saved.user;
      if (saved.password === undefined) delete process.env.ETCD_PASSWORD;
      else process.env.ETCD_PASSWORD = saved.password;
    }
    expect(nodeIds(await fromEnv.getService('guarded'))).toEqual(['guarded-1']);
  });

  it('a wrong password is a 401, no credentials a 401, a user without write permission a 403', async () => {
    const s = svc('guarded', 'guarded-2', 9102);
    const wrong = await open({ auth: { username: 'root', password: 'nope' } })
      .getService('guarded')
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(MicroError);
    expect(wrong).toMatchObject({ code: 401, id: 'registry.etcd' });
    await expect(open({ env: false }).getService('guarded')).rejects.toMatchObject({ code: 401 });
    const reader = open({ auth: { username: 'reader', password: 'readerpw' } });
    await expect(reader.register(s, { ttl: 10_000 })).rejects.toMatchObject({ code: 403 });
    await expect(reader.register(s)).rejects.toMatchObject({ code: 403 });
  });
});

describe.skipIf(etcdAvailability.skip || opensslRequirement.skip)(
  `etcd registry over TLS ${etcdAvailability.reason} ${opensslRequirement.reason}`,
  () => {
    let etcd: EtcdServer;
    let dir: string;
    let pki: Pki;
    const opened: EtcdRegistry[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nest-micro-etcd-tls-'));
      pki = makePki(dir);
      etcd = await startEtcd({
        tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') },
      });
    }, 90_000);
    afterAll(async () => {
      for (const r of opened) await r.close();
      await etcd?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('registers and reads over HTTPS with the CA given; an untrusted server is a 503', async () => {
      const registry = new EtcdRegistry({ hosts: etcd.address, tls: { ca: pki.ca }, env: false });
      opened.push(registry);
      const s = svc('secure', 'secure-1', 9201);
      await registry.register(s, { ttl: 10_000 });
      expect(nodeIds(await registry.getService('secure'))).toEqual(['secure-1']);

      const otherDir = mkdtempSync(join(tmpdir(), 'nest-micro-etcd-tls-'));
      try {
        const stranger = new EtcdRegistry({
          hosts: `https://${etcd.address}`,
          tls: { ca: makePki(otherDir).ca },
          timeout: 2_000,
          env: false,
        });
        opened.push(stranger);
        await expect(stranger.getService('secure')).rejects.toMatchObject({ code: 503, id: 'registry.etcd' });
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }
    });
  },
);
