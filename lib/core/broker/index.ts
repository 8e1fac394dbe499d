/** Brokers: the interface and its implementations (memory, go-micro's HTTP broker, Redis). */
export * from './broker.js';
export { MemoryBroker, type MemoryBrokerOptions } from './memory.broker.js';
export {
  BROADCAST_VERSION,
  HTTP_BROKER_SERVICE,
  HttpBroker,
  type HttpBrokerOptions,
  type HttpBrokerStats,
} from './http.broker.js';
export { RedisBroker, type RedisBrokerOptions, type RedisBrokerStats } from './redis.broker.js';
