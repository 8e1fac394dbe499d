// Discovery between real go-micro v5.30.0 and nest-micro over one Consul on 127.0.0.1
// (discovery.suite.ts). go-micro's Consul Watch needs a service name: one Go watch per service
// followed, and a row that shows Watch() without one fails.
import { expect, it } from 'vitest';
import { consulAvailability, startConsul } from '../support/consul.js';
import { discoverySuite } from './discovery.suite.js';
import { startGoPeer } from './support/go-peer.js';

discoverySuite({
  title: 'Consul',
  registry: 'consul',
  availability: consulAvailability,
  start: startConsul,
  watchesEveryService: false,
  joinActions: ['create', 'update'],
  // go-micro lists Consul's own `consul` service too
  ownServices: ['consul'],
  extraRows: (env) => {
    it('go-micro v5.30.0 cannot Watch Consul without a service name: Watch() fails', async () => {
      // registry/consul/watcher.go:41 parses a consul "service" watch plan with wo.Service, and the
      // consul api refuses an empty one; the catalog-wide `handle` is never wired in.
      const peer = startGoPeer(['watch'], env());
      const exited = await peer.exited;
      expect(exited.code).toBe(1);
      expect(peer.lines().at(-1)).toEqual({
        event: 'fatal',
        error: 'Must specify a single service to watch',
      });
    });
  },
});
