// The etcd watch's translation of etcd events, on a stand-in for the etcd3 client's watch builder:
// create vs update by revisions, delete from the previous value, foreign values skipped, a throwing
// listener contained, the service filter, and a watch etcd cancels started again.
import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeNode } from '../../../lib/core/registry/etcd/etcd.services.js';
import { EtcdWatcher } from '../../../lib/core/registry/etcd/etcd.watcher.js';
import type { Service, WatchEvent } from '../../../lib/core/registry/registry.js';

class FakeWatch extends EventEmitter {
  cancelled = false;
  cancel(): Promise<void> {
    this.cancelled = true;
    return Promise.resolve();
  }
}

function fakeClient(): { client: Etcd3; watches: FakeWatch[]; prefixes: string[] } {
  const watches: FakeWatch[] = [];
  const prefixes: string[] = [];
  const builder = {
    prefix(p: string) {
      prefixes.push(p);
      return builder;
    },
    withPreviousKV: () => builder,
    watcher: () => {
      const w = new FakeWatch();
      watches.push(w);
      return w;
    },
  };
  return { client: { watch: () => builder } as unknown as Etcd3, watches, prefixes };
}

const service = (name: string, id: string): Service => ({
  name,
  version: '1',
  metadata: {},
  endpoints: [],
  nodes: [{ id, address: 'h:1', metadata: {} }],
});
const kv = (value: string, create: string, mod: string) => ({
  key: Buffer.from('k'),
  value: Buffer.from(value),
  create_revision: create,
  mod_revision: mod,
});
const json = (s: Service): string => encodeNode(s, s.nodes[0]!);

describe('EtcdWatcher', () => {
  afterEach(() => vi.useRealTimers());

  it('turns puts and deletes into create, update and delete; skips what is not a service', () => {
    const { client, watches, prefixes } = fakeClient();
    const events: WatchEvent[] = [];
    const watcher = new EtcdWatcher(client, '/micro/registry/', (e) => events.push(e));
    const w = watches[0]!;
    const a = service('a', 'a-1');
    w.emit('put', kv(json(a), '5', '5'));
    w.emit('put', kv(json(a), '5', '7'));
    w.emit('put', kv('garbage', '8', '8'));
    w.emit('delete', kv('', '0', '9'), kv(json(a), '5', '7'));
    w.emit('delete', kv('', '0', '10'), undefined);
    expect(prefixes).toEqual(['/micro/registry/']);
    expect(events).toEqual([
      { action: 'create', service: a },
      { action: 'update', service: a },
      { action: 'delete', service: a },
    ]);
    watcher.stop();
    expect(w.cancelled).toBe(true);
    w.emit('put', kv(json(a), '11', '11'));
    expect(events).toHaveLength(3);
  });

  it('keeps only the watched service and survives a throwing listener', () => {
    const { client, watches } = fakeClient();
    const events: WatchEvent[] = [];
    const watcher = new EtcdWatcher(
      client,
      '/micro/registry/b/',
      (e) => {
        events.push(e);
        throw new Error('listener bug');
      },
      'b',
    );
    watches[0]!.emit('put', kv(json(service('other', 'o')), '1', '1'));
    watches[0]!.emit('put', kv(json(service('b', 'b-1')), '2', '2'));
    watches[0]!.emit('put', kv(json(service('b', 'b-2')), '3', '3'));
    expect(events.map((e) => e.service.nodes[0]!.id)).toEqual(['b-1', 'b-2']);
    watcher.stop();
  });

  it('a watch etcd cancels is started again, and events flow on the new one', () => {
    vi.useFakeTimers();
    const { client, watches } = fakeClient();
    const events: WatchEvent[] = [];
    const watcher = new EtcdWatcher(client, '/micro/registry/', (e) => events.push(e));
    watches[0]!.emit('error', new Error('Watcher canceled: mvcc: required revision has been compacted'));
    expect(watches[0]!.cancelled).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(watches).toHaveLength(2);
    watches[1]!.emit('put', kv(json(service('c', 'c-1')), '20', '20'));
    expect(events.map((e) => e.action)).toEqual(['create']);
    watcher.stop();
    // stopped while a restart is pending: no new watch
    const again = fakeClient();
    const stopped = new EtcdWatcher(again.client, '/p/', () => {});
    again.watches[0]!.emit('error', new Error('cancelled'));
    stopped.stop();
    vi.advanceTimersByTime(5_000);
    expect(again.watches).toHaveLength(1);
  });
});
