/** NATS registry: go-micro's registry/nats (queries and watch events on NATS subjects). */
export { NatsRegistry } from './nats.registry.js';
export { NATS_REGISTRY_ERROR_ID, type NatsRegistryOptions } from './nats.options.js';
