/**
 * nest-micro/broker: pub/sub. The Broker interface (go-micro's broker package), the memory broker,
 * go-micro's HTTP broker, the Redis broker, the NATS broker (JetStream queue groups), and
 * `createBroker` by name (MICRO_BROKER).
 */
export type {
  Broker,
  BrokerEvent,
  BrokerHandler,
  BrokerMessage,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from './broker.js';
export { MemoryBroker, type MemoryBrokerOptions } from './memory.broker.js';
export {
  HTTP_BROKER_SERVICE,
  HttpBroker,
  type HttpBrokerOptions,
  type HttpBrokerStats,
} from './http.broker.js';
export { RedisBroker, type RedisBrokerOptions, type RedisBrokerStats } from './redis.broker.js';
export type { ConsumerCounters } from './redis/queue-consumer.js';
export {
  NatsBroker,
  type NatsBrokerOptions,
  type NatsBrokerStats,
  type NatsTlsOptions,
} from './nats.broker.js';
export { createBroker } from '../plugins.js';
