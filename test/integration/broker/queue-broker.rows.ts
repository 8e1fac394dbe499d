/**
 * Rows the Redis and NATS broker suites share word for word: both brokers have queue groups with
 * redelivery and dead letters, manual ack, and fail with a 503 while their server is down. Each row
 * is one `it`, called where it stands in a suite (redis.broker.test.ts, nats.broker.test.ts,
 * nats.restart.test.ts); what differs — where a dead letter is kept, how long a redelivery takes,
 * how to stop the server — comes in with the harness.
 */
import { expect, it } from 'vitest';
import type { Broker, BrokerEvent } from '../../../lib/core/broker/broker.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { TestReader } from '../../support/metrics.js';
import { waitFor } from '../../support/processes.js';
import { body, numberOf, settle } from './harness.js';

/** What the rows need of a queue broker: Redis's and NATS's both have it. */
export interface QueueBroker extends Broker {
  connected(): boolean;
  stats(): { deadLettered: number };
}

export interface QueueBrokerHarness<B extends QueueBroker> {
  /** messaging.system in the metrics. */
  system: 'redis' | 'nats';
  /** A topic of its own for one row: `name` and a random id. */
  topic(name: string): string;
  /** A connected broker on the suite's server (stopped by the suite). */
  broker(options?: { maxDeliveries?: number; publishTimeout?: number }): Promise<B>;
}

/** A throwing handler: redelivered, then dead-lettered after maxDeliveries (3), and counted. */
export function deadLetterRow<B extends QueueBroker>(
  h: QueueBrokerHarness<B>,
  options: {
    reader: TestReader;
    /** Checks the dead letter of `topic` as the broker stored it (header x-id 7, body {n: 7}). */
    expectDeadLetter(topic: string): Promise<void>;
    /** Longer than a redelivery would take: none may come after the dead letter. */
    redeliveryMs: number;
  },
): void {
  it('a throwing handler gets the message again, then it is dead-lettered after maxDeliveries', async () => {
    const topic = h.topic('dlq');
    const b = await h.broker({ maxDeliveries: 3 });
    const attempts: number[] = [];
    await b.subscribe(
      topic,
      (e) => {
        attempts.push(e.attempt ?? 0);
        throw new Error('handler failed');
      },
      { queue: 'q' },
    );
    const before = b.stats().deadLettered;
    await b.publish(topic, { header: { 'x-id': '7' }, body: body(7) });
    await waitFor(() => b.stats().deadLettered === before + 1, 20_000, 'dead-lettered');
    expect(attempts).toEqual([1, 2, 3]);
    const dead = { 'messaging.system': h.system, 'messaging.destination.name': topic };
    expect((await options.reader.point('micro.messaging.dead_lettered', dead))?.value).toBe(1);
    await options.expectDeadLetter(topic);
    await settle(options.redeliveryMs);
    expect(attempts).toHaveLength(3);
  }, 30_000);
}

/** Manual ack: a message not acknowledged comes back once the visibility timeout has passed. */
export function manualAckRow<B extends QueueBroker>(
  h: QueueBrokerHarness<B>,
  options: { redeliveryMs: number },
): void {
  it('manual ack: an unacknowledged message comes back after the visibility timeout', async () => {
    const topic = h.topic('ack');
    const b = await h.broker();
    const attempts: number[] = [];
    await b.subscribe(
      topic,
      async (e) => {
        attempts.push(e.attempt ?? 0);
        if ((e.attempt ?? 1) >= 2) await e.ack();
      },
      { queue: 'q', autoAck: false },
    );
    await b.publish(topic, { header: {}, body: body(1) });
    await waitFor(() => attempts.length >= 2, 20_000, 'redelivery');
    await settle(options.redeliveryMs);
    expect(attempts).toEqual([1, 2]);
  }, 30_000);
}

/**
 * An outage: a broker on a port nothing listens on fails to connect and publish with a 503; while
 * the server is down, publishes (broadcast and queue) and subscribes fail with a 503 at once, a
 * publish with `publishTimeout` waits for the server to come back, and afterwards the broadcast
 * subscription is back and the queue group got the publish that waited.
 */
export function outageRow<B extends QueueBroker>(
  h: QueueBrokerHarness<B>,
  server: {
    /** A broker for a server that is not there. */
    unreachable(): Promise<B>;
    stop(): Promise<void>;
    restart(): Promise<void>;
    publishTimeout: number;
  },
): void {
  it('while the server is down: publish and subscribe fail with a 503 at once; publishTimeout waits for it', async () => {
    const dead = await server.unreachable();
    await expect(dead.connect()).rejects.toMatchObject({ code: 503 });
    await expect(dead.publish('x', { header: {}, body: Buffer.alloc(0) })).rejects.toBeInstanceOf(MicroError);

    const topic = h.topic('down');
    const b = await h.broker();
    const got: number[] = [];
    const onEvent = (e: BrokerEvent): void => void got.push(numberOf(e));
    await b.subscribe(topic, onEvent);
    await b.subscribe(`${topic}.q`, onEvent, { queue: 'q' });
    const waiting = await h.broker({ publishTimeout: server.publishTimeout });
    await server.stop();
    // The server has exited; the broker learns it when its connection closes.
    await waitFor(() => !b.connected(), 10_000, 'the broker to see the outage');
    const error = await b.publish(topic, { header: {}, body: body(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 503, retryable: true });
    await expect(b.publish(`${topic}.q`, { header: {}, body: body(1) })).rejects.toMatchObject({ code: 503 });
    await expect(b.subscribe('down', () => {})).rejects.toMatchObject({ code: 503 });
    const pending = waiting.publish(`${topic}.q`, { header: {}, body: body(2) });
    await server.restart();
    await expect(pending).resolves.toBeUndefined();
    // the broadcast subscription is back, and the queue group got the publish that waited
    await waitFor(
      async () => {
        await b.publish(topic, { header: {}, body: body(3) }).catch(() => {});
        return got.includes(3) && got.includes(2);
      },
      30_000,
      'deliveries after the restart',
    );
  }, 120_000);
}
