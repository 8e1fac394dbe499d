/** Discovery: the Registry interface and its implementations (memory, mDNS, Consul), the cache and helpers. */
export * from './registry.js';
export * from './memory.registry.js';
export * from './cache.registry.js';
export * from './encoding.js';
export * from './watch-diff.js';
export * from './address.js';
export * from './mdns/index.js';
export * from './consul/index.js';
