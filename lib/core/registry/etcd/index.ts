/** etcd registry: go-micro's key layout and JSON values, leases kept alive for the TTL, etcd watch. */
export { EtcdRegistry } from './etcd.registry.js';
export { ETCD_ERROR_ID, type EtcdRegistryOptions, type EtcdTlsOptions } from './etcd.options.js';
