/**
 * nest-micro/registry: discovery. The Registry interface and its records (go-micro's registry
 * package), the memory, mDNS, Consul and etcd registries, the watch-fed cache that fronts network
 * registries, `createRegistry` by name (MICRO_REGISTRY), and JSON Schema from endpoints' field trees.
 */
export type {
  Endpoint,
  Node,
  RegisterOptions,
  Registry,
  Service,
  Value,
  WatchAction,
  WatchEvent,
  Watcher,
  WatchOptions,
} from './registry.js';
export {
  endpointExample,
  requestSchema,
  responseSchema,
  typeSchema,
  valueSchema,
  type JsonSchema,
} from './json-schema.js';
export { MemoryRegistry } from './memory.registry.js';
export { CacheRegistry, type CacheLogger, type CacheRegistryOptions } from './cache.registry.js';
export * from './mdns/index.js';
export * from './consul/index.js';
export * from './nats/index.js';
export * from './etcd/index.js';
export { createRegistry } from '../plugins.js';
