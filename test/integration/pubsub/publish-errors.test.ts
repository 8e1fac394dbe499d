/**
 * The publish path of MicroClient when it cannot publish: an unknown Content-Type (415) or a body
 * its codec cannot encode (400) fails before anything is sent; an unreachable broker is a typed 503
 * MicroError, promptly, and publishing works again once the broker is back (a failed connect is not
 * remembered).
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBroker, RedisBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroError, MicroModule } from '../../../lib/index.js';
import { waitFor } from '../../support/processes.js';
import { redisRequirement, startRedis, type RedisServer } from '../../support/redis.js';

describe('MicroClient.publish refuses what it cannot encode', () => {
  it('415 for an unknown Content-Type, 400 for a body the codec cannot encode; nothing is delivered', async () => {
    const broker = new MemoryBroker();
    const delivered: unknown[] = [];
    await broker.connect();
    await broker.subscribe('orders', (event) => void delivered.push(event));
    @Module({ imports: [MicroModule.forRoot({ name: 'enc-pub', registry: new MemoryRegistry(), broker })] })
    class PublisherModule {}
    const app = await NestFactory.createApplicationContext(PublisherModule, { logger: ['error'] });
    try {
      const client = app.get(MicroClient);
      await expect(client.publish('orders', { a: 1 }, { contentType: 'text/xml' })).rejects.toMatchObject({
        code: 415,
        detail: expect.stringContaining('application/json'),
      });
      const bytes = { contentType: 'application/octet-stream' };
      await expect(client.publish('orders', { a: 1 }, bytes)).rejects.toBeInstanceOf(MicroError);
      await expect(client.publish('orders', { a: 1 }, bytes)).rejects.toMatchObject({ code: 400 });
      await client.publish('orders', Buffer.from([1, 2]), bytes);
      await waitFor(() => delivered.length > 0, 5_000, 'the valid message');
      expect(delivered).toHaveLength(1); // the refused ones were never handed to the broker
    } finally {
      await app.close();
    }
  });
});

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
