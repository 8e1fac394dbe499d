/**
 * The publish path of MicroClient when the broker is unreachable: a typed 503 MicroError, promptly,
 * and publishing works again once the broker is back (a failed connect is not remembered).
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRegistry, MicroClient, MicroError, MicroModule, RedisBroker } from '../../lib/index.js';
import { redisRequirement, startRedis, type RedisServer } from '../support/redis.js';

describe.skipIf(redisRequirement.skip)('MicroClient.publish with the broker down', () => {
  let server: RedisServer | undefined;
  let app: INestApplicationContext | undefined;

  afterAll(async () => {
    await app?.close();
    await server?.dispose();
  });

  it('rejects with a 503 MicroError while Redis is down, and publishes once it is back', async () => {
    server = await startRedis();
    await server.stop();
    const broker = new RedisBroker({ url: server.url, keyPrefix: 'down:' });
    @Module({ imports: [MicroModule.forRoot({ name: 'down-pub', registry: new MemoryRegistry(), broker })] })
    class PublisherModule {}
    app = await NestFactory.createApplicationContext(PublisherModule, { logger: ['error'] });
    const client = app.get(MicroClient);

    for (const attempt of [1, 2]) {
      const error = await client.publish('orders', { attempt }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ code: 503, id: 'go.micro.broker' });
    }

    await server.restart();
    await expect(client.publish('orders', { attempt: 3 })).resolves.toBeUndefined();
    await expect(
      client.with({ metadata: { a: '1' } }).publish('orders', { attempt: 4 }),
    ).resolves.toBeUndefined();
  });
});
