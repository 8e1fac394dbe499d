// Discovery between real go-micro v5.30.0 and nest-micro over one etcd on 127.0.0.1
// (discovery.suite.ts), both configured by go-micro's variables (MICRO_REGISTRY=etcd
// MICRO_REGISTRY_ADDRESS=host:port). go-micro's etcd Watch needs no service name, so one Go watch
// sees everything.
import { etcdAvailability, startEtcd } from '../support/etcd.js';
import { discoverySuite } from './discovery.suite.js';

discoverySuite({
  title: 'etcd',
  registry: 'etcd',
  availability: etcdAvailability,
  start: async () => {
    const etcd = await startEtcd();
    return { address: etcd.address, close: () => etcd.dispose() };
  },
  watchesEveryService: true,
  joinActions: ['create'],
  ownServices: [],
});
