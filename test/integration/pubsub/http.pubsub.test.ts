/**
 * Pub/sub e2e on the HTTP broker (the default): subscriber apps found by mDNS on 127.0.0.1. A
 * failed delivery is retried from the publisher's retry inbox and given up after `maxAttempts`.
 */
import { createRegistry } from '../../../lib/core/registry/index.js';
import { HTTP_BROKER_SERVICE, HttpBroker } from '../../../lib/core/broker/index.js';
import { pubsubSuite } from './pubsub.suite.js';

pubsubSuite(async () => {
  const registry = createRegistry('mdns', '127.0.0.1');
  const broker = new HttpBroker({ registry, retryInterval: 100, maxAttempts: 3, timeout: 5_000 });
  const asked = new Set<string>();
  return {
    kind: 'http',
    env: { BROKER: 'http' },
    registry,
    broker,
    seen: async (topic, count) => {
      const services = await registry.getService(HTTP_BROKER_SERVICE);
      return services.flatMap((s) => s.nodes).filter((n) => n.metadata.topic === topic).length >= count;
    },
    // Each test waits for its own message to be given up before the next one publishes.
    gaveUp: async (topic, n) => {
      asked.add(`${topic}#${n}`);
      const stats = broker.stats();
      return stats.rejected >= asked.size && stats.queued === 0;
    },
    close: async () => {},
  };
});
