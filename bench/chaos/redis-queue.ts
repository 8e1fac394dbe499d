/**
 * The Redis queue group across a Redis restart: three member processes (bench/chaos/queue-member.ts)
 * share the queue "workers"; this process publishes numbered events through an injected MicroClient
 * (16 publishes outstanding) while redis-server (append-only file, fsync on every write) is
 * SIGKILLed a third of the way in and restarted 2 s later. A publish that resolved was accepted;
 * one that failed was refused (and not retried here, so it shows). Lost = accepted but never
 * delivered; it must be 0.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createBroker } from 'nest-micro/broker';
import { MemoryRegistry } from 'nest-micro/registry';
import { MicroClient, MicroModule } from 'nest-micro';
import { startMember, type Member } from '../../test/integration/broker/harness.js';
import { waitFor } from '../../test/support/processes.js';
import { startRedis } from '../../test/support/redis.js';

export interface QueueFigures {
  published: number;
  accepted: number;
  refused: number;
  /** Refused publishes that were delivered all the same (the outcome was unknown). */
  refusedButDelivered: number;
  delivered: number;
  duplicates: number;
  lost: number;
  downMs: number;
  /** From the first publish to the last one's answer. */
  publishMs: number;
  /** From the last publish's answer until every accepted event was delivered. */
  drainMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runRedisQueue(total: number): Promise<QueueFigures> {
  const redis = await startRedis({ persist: true });
  const topic = `chaos.queue.${Date.now()}`;
  const members: Member[] = [];
  const registry = new MemoryRegistry();
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'chaos-publisher',
        registry,
        broker: createBroker('redis', `127.0.0.1:${redis.port}`, registry),
        env: false,
      }),
      MicroModule.registerClients([{ name: 'EVENTS', service: 'chaos-queue' }]),
    ],
  })
  class PublisherModule {}
  const app = await NestFactory.createApplicationContext(PublisherModule, { logger: false });
  try {
    const env = {
      MICRO_REGISTRY: 'memory',
      MICRO_BROKER: 'redis',
      MICRO_BROKER_ADDRESS: `127.0.0.1:${redis.port}`,
      CHAOS_TOPIC: topic,
    };
    members.push(
      ...(await Promise.all([1, 2, 3].map(() => startMember(env, 'bench/chaos/queue-member.ts')))),
    );
    const client = app.get<MicroClient>('EVENTS');
    const accepted = new Set<number>();
    const refused = new Set<number>();
    let next = 1;
    let downAt = 0;
    let backAt = 0;
    let restart: Promise<void> | undefined;
    const publisher = async (): Promise<void> => {
      while (next <= total) {
        const n = next++;
        if (n === Math.floor(total / 3)) {
          restart = (async () => {
            downAt = performance.now();
            await redis.stop('SIGKILL');
            await sleep(2_000);
            await redis.restart();
            backAt = performance.now();
          })();
        }
        try {
          await client.publish(topic, { n });
          accepted.add(n);
        } catch {
          refused.add(n);
        }
      }
    };
    const publishStart = performance.now();
    await Promise.all(Array.from({ length: 16 }, publisher));
    const publishEnd = performance.now();
    await restart;
    const delivered = (): number[] => members.flatMap((m) => m.got());
    await waitFor(
      () => {
        const got = new Set(delivered());
        return [...accepted].every((n) => got.has(n));
      },
      60_000,
      'accepted delivered',
    ).catch(() => {});
    const drainMs = performance.now() - publishEnd;
    await sleep(1_000); // a duplicate would show now
    const all = delivered();
    const unique = new Set(all);
    return {
      published: total,
      accepted: accepted.size,
      refused: refused.size,
      refusedButDelivered: [...refused].filter((n) => unique.has(n)).length,
      delivered: unique.size,
      duplicates: all.length - unique.size,
      lost: [...accepted].filter((n) => !unique.has(n)).length,
      downMs: backAt - downAt,
      publishMs: publishEnd - publishStart,
      drainMs,
    };
  } finally {
    await app.close();
    await Promise.all(members.map((m) => m.proc.stop('SIGKILL')));
    await redis.dispose();
  }
}
