/**
 * NATS broker in one process on a real `nats-server -js`: go-micro's envelope on the wire, broadcast,
 * JetStream queue groups (shared work, acks, redelivery, dead letters, manual ack, a long handler
 * kept from redelivery, bad messages counted), core queue groups, a server without JetStream, and a
 * queue consumer deleted under a running member.
 */
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerEvent } from '../../../lib/core/broker/broker.js';
import { NatsBroker, type NatsBrokerOptions } from '../../../lib/core/broker/nats.broker.js';
import { createBroker } from '../../../lib/core/plugins.js';
import { createRegistry } from '../../../lib/core/registry/index.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { natsRequirement, startNats, type NatsServer } from '../../support/nats.js';
import { waitFor } from '../../support/processes.js';
import { body, numberOf, range, settle } from './harness.js';
import { deadLetterRow, manualAckRow, type QueueBrokerHarness } from './queue-broker.rows.js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { attachMeterProvider } from '../../../lib/core/metrics/index.js';
import { TestReader } from '../../support/metrics.js';

const fast: NatsBrokerOptions = { visibilityTimeout: 500, maxDeliveries: 3 };

describe.skipIf(natsRequirement.skip)('NatsBroker', () => {
  let server: NatsServer;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const brokers: NatsBroker[] = [];
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let detach: (() => void) | undefined;

  beforeAll(async () => {
    detach = attachMeterProvider(provider);
    server = await startNats();
    admin = await connect({ servers: server.url });
    jsm = await jetstreamManager(admin);
  }, 60_000);

  afterAll(async () => {
    detach?.();
    await Promise.all(brokers.map((b) => b.disconnect()));
    await admin?.close();
    await server?.dispose();
  });

  async function broker(options: NatsBrokerOptions = {}, url = server.url): Promise<NatsBroker> {
    const b = new NatsBroker({ servers: url, ...fast, ...options });
    brokers.push(b);
    await b.connect();
    return b;
  }

  const harness: QueueBrokerHarness<NatsBroker> = {
    system: 'nats',
    topic: (name) => `${name}.${randomUUID()}`,
    broker: (options) => broker(options),
  };

  it('is MICRO_BROKER=nats, with MICRO_BROKER_ADDRESS as go-micro reads it', () => {
    const b = createBroker('nats', server.address, createRegistry('memory'));
    expect(b).toBeInstanceOf(NatsBroker);
    expect(b.address()).toBe(server.url);
  });

  it("carries header and binary body in go-micro's envelope; broadcast and queue subscribers both get it", async () => {
    const topic = `t.${randomUUID()}`;
    const b = await broker();
    const seen: BrokerEvent[] = [];
    await b.subscribe(topic, (e) => void seen.push(e));
    await b.subscribe(topic, (e) => void seen.push(e), { queue: 'q' });
    const raw: string[] = [];
    const sub = admin.subscribe(topic, { callback: (_, m) => void raw.push(m.string()) });
    await admin.flush();
    const bytes = Buffer.from([0, 1, 2, 255]);
    await b.publish(topic, {
      header: { 'content-type': 'application/octet-stream', 'x-k': 'v' },
      body: bytes,
    });
    await waitFor(() => seen.length === 2 && raw.length === 1, 10_000, 'two deliveries');
    sub.unsubscribe();
    for (const e of seen) {
      expect(e.topic).toBe(topic);
      expect(e.attempt).toBe(1);
      expect(e.message.body.equals(bytes)).toBe(true);
      expect(e.message.header).toEqual({
        'content-type': 'application/octet-stream',
        'x-k': 'v',
        'micro-topic': topic,
      });
    }
    // what a go-micro subscriber unmarshals: broker.Message as JSON, Go's header spelling
    expect(JSON.parse(raw[0]!)).toEqual({
      Header: { 'Content-Type': 'application/octet-stream', 'Micro-Topic': topic, 'X-K': 'v' },
      Body: bytes.toString('base64'),
    });
  });

  it('a topic with a queue group has a stream; its publishes are stored with a JetStream ack', async () => {
    const topic = `stored.${randomUUID()}`;
    const member = await broker();
    await member.subscribe(topic, () => new Promise<void>(() => {}), { queue: 'slow' });
    const publisher = await broker();
    for (const n of range(5))
      await publisher.publish(topic, { header: { 'micro-id': `id-${n}` }, body: body(n) });
    // published again with the same Micro-Id (a retry): stored once
    await publisher.publish(topic, { header: { 'micro-id': 'id-1' }, body: body(1) });
    const name = await jsm.streams.find(topic);
    expect(name).toMatch(/^micro_topic_stored_/);
    const info = await jsm.streams.info(name);
    expect(info.state.messages).toBe(5);
    expect(info.config.subjects).toEqual([topic]);
    const consumer = await jsm.consumers.info(name, 'slow');
    expect(consumer.config).toMatchObject({ ack_policy: 'explicit', filter_subject: topic });
  });

  it("a full stream refuses a publish with a 503 carrying the stream's reason, retryable (nothing stored)", async () => {
    const topic = `full.${randomUUID()}`;
    const member = await broker({ maxMessages: 3 });
    await member.subscribe(topic, () => new Promise<void>(() => {}), { queue: 'stuck' });
    const publisher = await broker();
    for (const n of range(3)) await publisher.publish(topic, { header: {}, body: body(n) });
    const refused = await publisher.publish(topic, { header: {}, body: body(3) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MicroError);
    expect(refused).toMatchObject({ code: 503, retryable: true });
    expect((refused as MicroError).detail).toMatch(/maximum messages exceeded/i);
    const info = await jsm.streams.info(await jsm.streams.find(topic));
    expect(info.state.messages).toBe(3);
  });

  it('queue group: 3 members share 600 messages, each delivered once', async () => {
    const topic = `queue.${randomUUID()}`;
    const got: number[][] = [[], [], []];
    for (const list of got) {
      const member = await broker();
      await member.subscribe(topic, (e) => void list.push(numberOf(e)), { queue: 'workers' });
    }
    const publisher = await broker();
    for (let i = 0; i < 600; i += 20)
      await Promise.all(range(20).map((k) => publisher.publish(topic, { header: {}, body: body(i + k) })));
    await waitFor(() => got.flat().length >= 600, 30_000, 'all queue deliveries');
    await settle();
    expect(got.flat().toSorted((a, b) => a - b)).toEqual(range(600));
    for (const list of got) expect(list.length).toBeGreaterThan(0);
  }, 60_000);

  deadLetterRow(harness, {
    reader,
    expectDeadLetter: async (topic) => {
      const letter = await jsm.streams.getMessage('micro_dlq', { last_by_subj: `micro.dlq.${topic}` });
      expect(letter).not.toBeNull();
      expect(letter!.header.get('Micro-Queue')).toBe('q');
      expect(letter!.header.get('Micro-Attempts')).toBe('3');
      expect(letter!.header.get('Micro-Error')).toBe('handler failed');
      const envelope = JSON.parse(letter!.string()) as { Header: Record<string, string>; Body: string };
      expect(envelope.Header['X-Id']).toBe('7');
      expect(JSON.parse(Buffer.from(envelope.Body, 'base64').toString())).toEqual({ n: 7 });
      const info = await jsm.consumers.info(await jsm.streams.find(topic), 'q');
      expect(info.num_ack_pending + info.num_pending).toBe(0);
    },
    redeliveryMs: 800,
  });

  manualAckRow(harness, { redeliveryMs: 1_000 });

  it('a handler running longer than the visibility timeout keeps its message (no redelivery meanwhile)', async () => {
    const topic = `long.${randomUUID()}`;
    const b = await broker();
    const other = await broker();
    const got: string[] = [];
    const handler = (who: string) => async (): Promise<void> => {
      got.push(who);
      await settle(1_800);
    };
    await b.subscribe(topic, handler('a'), { queue: 'q' });
    await other.subscribe(topic, handler('b'), { queue: 'q' });
    await b.publish(topic, { header: {}, body: body(1) });
    await settle(2_500);
    expect(got).toHaveLength(1);
  }, 30_000);

  it('unreadable messages: a queue one is dead-lettered, a broadcast one counted; later messages flow', async () => {
    const topic = `bad.${randomUUID()}`;
    const b = await broker();
    const got: BrokerEvent[] = [];
    await b.subscribe(topic, (e) => void got.push(e), { queue: 'q' });
    await b.subscribe(topic, (e) => void got.push(e));
    const { deadLettered, broadcastFailures } = b.stats();
    admin.publish(topic, 'not json');
    admin.publish(topic, '{"Header":{"X":1},"Body":"%%%"}');
    await waitFor(
      () =>
        b.stats().deadLettered === deadLettered + 2 && b.stats().broadcastFailures === broadcastFailures + 2,
      10_000,
      'counted',
    );
    expect(got).toHaveLength(0);
    await b.publish(topic, { header: {}, body: body(2) });
    await waitFor(() => got.length === 2, 10_000, 'later messages still flow');
  });

  it('a topic that is no NATS subject to publish to is refused with a 400', async () => {
    const b = await broker();
    for (const topic of ['', 'a b', 'orders.*', 'orders.>', 'a..b', '.a'])
      await expect(b.publish(topic, { header: {}, body: body(1) })).rejects.toMatchObject({ code: 400 });
  });

  it('a message without Micro-Topic (a plain NATS publisher) takes the subject as its topic', async () => {
    const topic = `plain.${randomUUID()}`;
    const b = await broker();
    const got: BrokerEvent[] = [];
    await b.subscribe(topic, (e) => void got.push(e));
    admin.publish(topic, JSON.stringify({ Header: { 'Content-Type': 'text/plain' }, Body: 'aGk=' }));
    await waitFor(() => got.length === 1, 10_000, 'delivery');
    expect(got[0]!.topic).toBe(topic);
    expect(got[0]!.message.body.toString()).toBe('hi');
  });

  it("queueGroups 'core': go-micro's NATS queue groups, each message to one member", async () => {
    const topic = `core.${randomUUID()}`;
    const got: number[][] = [[], []];
    for (const list of got) {
      const member = await broker({ queueGroups: 'core' });
      await member.subscribe(topic, (e) => void list.push(numberOf(e)), { queue: 'workers' });
    }
    const publisher = await broker({ queueGroups: 'core' });
    for (const n of range(100)) await publisher.publish(topic, { header: {}, body: body(n) });
    await waitFor(() => got.flat().length >= 100, 10_000, 'all deliveries');
    await settle();
    expect(got.flat().toSorted((a, b) => a - b)).toEqual(range(100));
    await expect(jsm.streams.find(topic)).rejects.toThrow(); // no stream for core groups
  });

  it('the queue consumer is created again when it is deleted under a running member', async () => {
    const topic = `vanish.${randomUUID()}`;
    const b = await broker();
    const got: number[] = [];
    await b.subscribe(topic, (e) => void got.push(numberOf(e)), { queue: 'q' });
    await b.publish(topic, { header: {}, body: body(1) });
    await waitFor(() => got.length === 1, 10_000, 'first delivery');
    // nats-server 2.9 may answer "directory not empty" when the member made it again at once
    await jsm.consumers.delete(await jsm.streams.find(topic), 'q').catch(() => {});
    await waitFor(
      async () => {
        await b.publish(topic, { header: {}, body: body(2) });
        return got.includes(2);
      },
      30_000,
      'delivery after the consumer came back',
    );
  }, 60_000);

  it('a server without JetStream: broadcast and core groups work, a JetStream queue group is refused with a 503', async () => {
    const plain = await startNats({ jetstream: false });
    try {
      const b = await broker({}, plain.url);
      const got: BrokerEvent[] = [];
      await b.subscribe('plain', (e) => void got.push(e));
      const error = await b.subscribe('plain', () => {}, { queue: 'q' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ code: 503 });
      expect((error as MicroError).detail).toContain('JetStream');
      await b.publish('plain', { header: {}, body: body(1) });
      await waitFor(() => got.length === 1, 10_000, 'broadcast delivery');
      await b.disconnect();
    } finally {
      await plain.dispose();
    }
  }, 60_000);
});
