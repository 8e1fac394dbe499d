/**
 * Redis broker in one process on a real redis-server: Redis restarted mid-run, redelivery and
 * dead-lettering, manual ack, and the failure paths (unreachable Redis, unreadable messages).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { BrokerEvent } from '../../../lib/core/broker/broker.js';
import { RedisBroker, type RedisBrokerOptions } from '../../../lib/core/broker/redis.broker.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { redisRequirement, startRedis, type RedisServer } from '../../support/redis.js';
import { body, numberOf, range } from './harness.js';
import { deadLetterRow, manualAckRow, outageRow, type QueueBrokerHarness } from './queue-broker.rows.js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { attachMeterProvider } from '../../../lib/core/metrics/index.js';
import { TestReader } from '../../support/metrics.js';

const fast: RedisBrokerOptions = { visibilityTimeout: 300, claimInterval: 50 };

describe.skipIf(redisRequirement.skip)('RedisBroker', () => {
  let redis: RedisServer;
  const brokers: RedisBroker[] = [];

  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let detach: (() => void) | undefined;

  beforeAll(async () => {
    detach = attachMeterProvider(provider);
    redis = await startRedis({ persist: true });
  }, 30_000);

  afterAll(async () => {
    detach?.();
    await Promise.all(brokers.map((b) => b.disconnect()));
    await redis?.dispose();
  });

  async function broker(options: RedisBrokerOptions = {}): Promise<RedisBroker> {
    const b = new RedisBroker({ url: redis.url, ...fast, ...options });
    brokers.push(b);
    await b.connect();
    return b;
  }

  const harness: QueueBrokerHarness<RedisBroker> = {
    system: 'redis',
    topic: (name) => `${name}-${randomUUID()}`,
    broker: (options) => broker(options),
  };

  it('carries header and binary body; broadcast and queue subscribers both get a publish', async () => {
    const topic = `t-${randomUUID()}`;
    const b = await broker();
    const seen: BrokerEvent[] = [];
    await b.subscribe(topic, (e) => void seen.push(e));
    await b.subscribe(topic, (e) => void seen.push(e), { queue: 'q' });
    const bytes = Buffer.from([0, 1, 2, 255]);
    await b.publish(topic, {
      header: { 'content-type': 'application/octet-stream', 'x-k': 'v' },
      body: bytes,
    });
    await waitFor(() => seen.length === 2, 10_000, 'two deliveries');
    for (const e of seen) {
      expect(e.topic).toBe(topic);
      expect(e.message.body.equals(bytes)).toBe(true);
      expect(e.message.header).toEqual({ 'content-type': 'application/octet-stream', 'x-k': 'v' });
    }
  });

  it('Redis restarted mid-run: all 1,000 queue messages are delivered once it is back', async () => {
    const topic = `restart-${randomUUID()}`;
    const received = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const member = await broker();
      await member.subscribe(topic, (e) => void received.add(numberOf(e)), { queue: 'workers' });
    }
    const publisher = await broker();
    let rejected = 0;
    let restarting: Promise<void> | undefined;
    for (const n of range(1_000)) {
      if (n === 300) await redis.stop();
      for (let attempt = 0; ; attempt++) {
        try {
          await publisher.publish(topic, { header: {}, body: body(n) });
          break;
        } catch (error) {
          expect(error).toBeInstanceOf(MicroError);
          expect((error as MicroError).code).toBe(503);
          rejected++;
          if (rejected === 5) restarting = redis.restart();
          if (attempt > 600) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    await restarting;
    expect(rejected).toBeGreaterThanOrEqual(5);
    await waitFor(() => received.size === 1_000, 60_000, 'all 1,000 delivered');
    expect([...received].toSorted((a, b) => a - b)).toEqual(range(1_000));
  }, 120_000);

  it('broadcast subscriptions are restored after Redis comes back', async () => {
    const topic = `restore-${randomUUID()}`;
    const b = await broker();
    const got: number[] = [];
    await b.subscribe(topic, (e) => void got.push(numberOf(e)));
    await redis.stop();
    await redis.restart();
    await waitFor(
      async () => {
        await b.publish(topic, { header: {}, body: body(1) }).catch(() => {});
        return got.length > 0;
      },
      20_000,
      'delivery after restart',
    );
    expect(got[0]).toBe(1);
  }, 60_000);

  deadLetterRow(harness, {
    reader,
    expectDeadLetter: async (topic) => {
      const admin = new Redis(redis.url);
      try {
        const entries = await admin.xrange(`micro:dlq:${topic}`, '-', '+');
        expect(entries).toHaveLength(1);
        const fields = Object.fromEntries(
          entries[0]![1].flatMap((v, i, a) => (i % 2 ? [] : [[v, a[i + 1]]])) as [string, string][],
        );
        expect(JSON.parse(fields.h!)).toEqual({ 'x-id': '7' });
        expect(JSON.parse(fields.b!)).toEqual({ n: 7 });
        expect(fields).toMatchObject({ queue: 'q', attempts: '3', error: 'handler failed' });
        const pending = (await admin.xpending(`micro:topic:${topic}`, 'q')) as [number];
        expect(pending[0]).toBe(0);
      } finally {
        admin.disconnect();
      }
    },
    redeliveryMs: 400,
  });

  manualAckRow(harness, { redeliveryMs: 700 });

  it('a restarted member with a fixed consumer name takes up its own pending messages, once each', async () => {
    const topic = `fixed-${randomUUID()}`;
    const slow = { consumer: `fixed-${randomUUID()}`, visibilityTimeout: 60_000, drainTimeout: 100 };
    const first = await broker(slow);
    const held: number[] = [];
    await first.subscribe(topic, (e) => new Promise<void>(() => void held.push(numberOf(e))), { queue: 'q' });
    for (const n of range(3)) await first.publish(topic, { header: {}, body: body(n) });
    await waitFor(() => held.length === 3, 10_000, 'messages in hand');
    await first.disconnect();
    const again = await broker(slow);
    const got: number[] = [];
    await again.subscribe(topic, (e) => void got.push(numberOf(e)), { queue: 'q' });
    await waitFor(() => got.length >= 3, 10_000, 'pending messages taken up');
    await new Promise((r) => setTimeout(r, 300));
    expect(got.toSorted((a, b) => a - b)).toEqual(range(3));
  });

  it('an unreadable stream entry is dead-lettered; an unreadable Pub/Sub payload is counted, not fatal', async () => {
    const topic = `bad-${randomUUID()}`;
    const b = await broker();
    const got: BrokerEvent[] = [];
    await b.subscribe(topic, (e) => void got.push(e), { queue: 'q' });
    await b.subscribe(topic, (e) => void got.push(e));
    const admin = new Redis(redis.url);
    try {
      await admin.xadd(`micro:topic:${topic}`, '*', 'h', 'not json', 'b', 'x');
      await admin.publish(`micro:topic:${topic}`, 'xx');
      await waitFor(
        () => b.stats().deadLettered === 1 && b.stats().broadcastFailures === 1,
        10_000,
        'counted',
      );
      expect(got).toHaveLength(0);
      await b.publish(topic, { header: {}, body: body(2) });
      await waitFor(() => got.length === 2, 10_000, 'later messages still flow');
    } finally {
      admin.disconnect();
    }
  });

  it('fails a subscribe to a stalled Redis with a 503 instead of waiting for ever', async () => {
    const b = await broker();
    process.kill(redis.pid(), 'SIGSTOP');
    try {
      const error = await b.subscribe('stalled', () => {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ code: 503 });
    } finally {
      process.kill(redis.pid(), 'SIGCONT');
    }
    const got: BrokerEvent[] = [];
    await b.subscribe('stalled', (e) => void got.push(e));
    await b.publish('stalled', { header: {}, body: body(1) });
    await waitFor(() => got.length === 1, 10_000, 'the retried subscribe delivers');
  }, 30_000);

  outageRow(harness, {
    unreachable: async () => new RedisBroker({ url: `redis://127.0.0.1:${await freePort()}` }),
    stop: () => redis.stop(),
    restart: () => redis.restart(),
    publishTimeout: 20_000,
  });
});
