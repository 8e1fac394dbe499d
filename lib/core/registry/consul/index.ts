/** Consul registry: go-micro's tag encoding, TTL checks, health reads, blocking-query watch. */
export { ConsulRegistry } from './consul.registry.js';
export { CONSUL_ERROR_ID, type ConsulRegistryOptions, type ConsulTlsOptions } from './consul.options.js';
