/**
 * Redis queue consumer flow on a real redis-server: at most `prefetch` handlers run at once and the
 * rest of a 4 × prefetch window is read ahead (4 × prefetch pending for the member, none lost or
 * repeated), two reads are out at once (one waits in Redis while the other's batch is handled),
 * the acks of many messages finishing together go as few batched XACKs, and publishes issued in
 * one turn reach Redis as one write.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../../lib/core/broker/redis.broker.js';
import { waitFor } from '../../support/processes.js';
import { redisRequirement, startRedis, type RedisServer } from '../../support/redis.js';
import { body, range } from './harness.js';

describe.skipIf(redisRequirement.skip)('RedisBroker queue flow', () => {
  let redis: RedisServer;
  let admin: Redis;
  const brokers: RedisBroker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.disconnect()));
    admin?.disconnect();
    await redis?.dispose();
  });

  async function broker(prefetch: number): Promise<RedisBroker> {
    const b = new RedisBroker({ url: redis.url, prefetch, visibilityTimeout: 60_000 });
    brokers.push(b);
    await b.connect();
    return b;
  }

  /** The commands Redis has read from its clients so far. */
  const reads = async (): Promise<number> =>
    Number(/total_reads_processed:(\d+)/.exec(await admin.info('stats'))?.[1]);

  /** CLIENT LIST's line for the broker's reader connection while it is blocked in a read. */
  const reader = async (): Promise<string | undefined> =>
    ((await admin.client('LIST')) as string)
      .split('\n')
      .find((line) => line.includes('name=nest-micro-broker-reader') && line.includes('flags=b'));

  it('runs at most prefetch handlers at once and holds at most 4 × prefetch (the rest read ahead)', async () => {
    const topic = `flow-${randomUUID()}`;
    const b = await broker(4);
    let running = 0;
    let most = 0;
    const got: number[] = [];
    const release: (() => void)[] = [];
    await b.subscribe(
      topic,
      async (e) => {
        most = Math.max(most, ++running);
        got.push(JSON.parse(e.message.body.toString()).n as number);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
      },
      { queue: 'q' },
    );
    for (const n of range(24)) await b.publish(topic, { header: {}, body: body(n) });
    await waitFor(() => got.length === 4, 10_000, 'first handlers');
    await new Promise((r) => setTimeout(r, 200));
    const pending = (await admin.xpending(`micro:topic:${topic}`, 'q')) as [number, ...unknown[]];
    expect(got).toHaveLength(4);
    expect(pending[0]).toBe(16);
    while (got.length < 24 || release.length > 0) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(most).toBe(4);
    expect(got.toSorted((x, y) => x - y)).toEqual(range(24));
    await waitFor(
      async () => ((await admin.xpending(`micro:topic:${topic}`, 'q')) as [number])[0] === 0,
      10_000,
      'all acknowledged',
    );
  });

  it('acknowledges messages that finish together with one XACK', async () => {
    const topic = `acks-${randomUUID()}`;
    const publisher = await broker(64);
    const b = await broker(64);
    const got = new Set<number>();
    let gate!: () => void;
    const open = new Promise<void>((resolve) => (gate = resolve));
    await b.subscribe(
      topic,
      async (e) => {
        await open;
        got.add(JSON.parse(e.message.body.toString()).n as number);
      },
      { queue: 'q' },
    );
    await Promise.all(range(64).map((n) => publisher.publish(topic, { header: {}, body: body(n) })));
    await new Promise((r) => setTimeout(r, 200));
    await admin.config('RESETSTAT');
    gate();
    await waitFor(
      async () => ((await admin.xpending(`micro:topic:${topic}`, 'q')) as [number])[0] === 0,
      10_000,
      'all acknowledged',
    );
    expect(got.size).toBe(64);
    const stats = await admin.info('commandstats');
    const calls = Number(/cmdstat_xack:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(2);
  });

  it('sends the publishes issued in one turn to Redis together', async () => {
    const topic = `burst-${randomUUID()}`;
    const b = await broker(64);
    const got: number[] = [];
    await b.subscribe(topic, (e) => void got.push(JSON.parse(e.message.body.toString()).n as number));
    const before = await reads();
    await Promise.all(range(50).map((n) => b.publish(topic, { header: {}, body: body(n) })));
    const used = (await reads()) - before;
    await waitFor(() => got.length === 50, 10_000, 'all delivered');
    expect(got).toEqual(range(50));
    expect(used).toBeLessThan(10);
  });

  it('keeps a second read queued behind the blocked one on the reader connection', async () => {
    const topic = `lanes-${randomUUID()}`;
    const b = await broker(64);
    const got: number[] = [];
    await b.subscribe(topic, (e) => void got.push(JSON.parse(e.message.body.toString()).n as number), {
      queue: 'q',
    });
    await waitFor(async () => (await reader()) !== undefined, 10_000, 'a blocked read');
    const line = (await reader())!;
    expect(line).toContain('cmd=xreadgroup');
    expect(Number(/ qbuf=(\d+)/.exec(line)?.[1])).toBeGreaterThan(0); // the second XREADGROUP, waiting
    await Promise.all(range(100).map((n) => b.publish(topic, { header: {}, body: body(n) })));
    await waitFor(() => got.length === 100, 10_000, 'all delivered');
    expect(got.toSorted((x, y) => x - y)).toEqual(range(100));
  });
});
