/** Consul registry: go-micro's tag encoding, TTL checks, health reads, blocking-query watch. */
export * from './consul.registry.js';
export * from './consul.options.js';
export { toRegistration, fromHealthEntries, deregisterAfterSeconds } from './consul.services.js';
