/**
 * Pub/sub e2e on the Redis broker (real redis-server on a free loopback port): broadcast over
 * Pub/Sub, queue groups over streams; a failed message is redelivered and dead-lettered to
 * `<prefix>dlq:<topic>` after `maxDeliveries` (3 in the subscriber apps).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { createRegistry } from '../../../lib/core/registry/index.js';
import { RedisBroker } from '../../../lib/core/broker/index.js';
import { redisRequirement, startRedis } from '../../support/redis.js';
import { pubsubSuite } from './pubsub.suite.js';

describe.skipIf(redisRequirement.skip)('pub/sub between Nest apps on the Redis broker', () => {
  pubsubSuite(async () => {
    const server = await startRedis();
    const prefix = `t${randomUUID().slice(0, 6)}:`;
    const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    await redis.connect();
    /** Body of each dead-lettered entry of `topic` (its `b` field), as JSON. */
    const deadLetters = async (topic: string): Promise<Array<{ n: number }>> => {
      const entries = await redis.xrange(`${prefix}dlq:${topic}`, '-', '+');
      return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('b') + 1]!) as { n: number });
    };
    return {
      kind: 'redis',
      env: { BROKER: 'redis', REDIS_URL: server.url, PREFIX: prefix },
      registry: createRegistry('memory'),
      broker: new RedisBroker({ url: server.url, keyPrefix: prefix }),
      seen: async (topic, count) => {
        const key = `${prefix}topic:${topic}`;
        const [, subscribers] = (await redis.pubsub('NUMSUB', key)) as [string, number];
        return subscribers >= count || (await redis.exists(key)) === 1;
      },
      gaveUp: async (topic, n) => (await deadLetters(topic)).some((m) => m.n === n),
      close: async () => {
        redis.disconnect();
        await server.dispose();
      },
    };
  });
});
