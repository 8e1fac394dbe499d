/**
 * NATS broker across a nats-server restart and an outage: a JetStream queue group under load loses
 * nothing the broker acknowledged (every accepted publish is delivered after the restart), publishes
 * and subscribes fail with a 503 while the server is down instead of hanging, a publish with
 * `publishTimeout` waits for the server to come back, and broadcast subscriptions are restored.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBroker, type NatsBrokerOptions } from '../../../lib/core/broker/nats.broker.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { natsRequirement, startNats, type NatsServer } from '../../support/nats.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { body, numberOf, range } from './harness.js';
import { outageRow } from './queue-broker.rows.js';

const N = 3_000;
const IN_FLIGHT = 16;

describe.skipIf(natsRequirement.skip)('NatsBroker across a server restart', () => {
  let server: NatsServer;
  const brokers: NatsBroker[] = [];

  beforeAll(async () => {
    server = await startNats();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.disconnect()));
    await server?.dispose();
  });

  async function broker(options: NatsBrokerOptions = {}): Promise<NatsBroker> {
    const b = new NatsBroker({ servers: server.url, visibilityTimeout: 2_000, ...options });
    brokers.push(b);
    await b.connect();
    return b;
  }

  it(`restart under load: every one of ${N} acknowledged queue publishes is delivered`, async () => {
    const topic = `restart.${randomUUID()}`;
    const deliveries: number[] = [];
    for (let i = 0; i < 3; i++) {
      const member = await broker();
      await member.subscribe(topic, (e) => void deliveries.push(numberOf(e)), { queue: 'workers' });
    }
    const publisher = await broker();
    const accepted = new Set<number>();
    let refusals = 0;
    let restarted: Promise<void> | undefined;
    const publishOne = async (n: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          // the same Micro-Id on every attempt: a retry of a publish whose ack was lost is stored once
          await publisher.publish(topic, { header: { 'micro-id': `m-${n}` }, body: body(n) });
          accepted.add(n);
          return;
        } catch (error) {
          expect(error).toBeInstanceOf(MicroError);
          expect((error as MicroError).code).toBe(503);
          refusals++;
          if (attempt > 1_000) throw error;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const queue = range(N);
    const worker = async (): Promise<void> => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        if (n === N / 3) restarted = server.stop('SIGKILL').then(() => server.restart());
        await publishOne(n);
      }
    };
    await Promise.all(range(IN_FLIGHT).map(worker));
    await restarted;
    expect(refusals).toBeGreaterThan(0);
    expect(accepted.size).toBe(N);
    await waitFor(() => new Set(deliveries).size >= N, 60_000, 'every accepted publish delivered');
    expect([...new Set(deliveries)].toSorted((a, b) => a - b)).toEqual(range(N));
    console.info(
      `restart under load: ${N} accepted, ${refusals} refusals (retried), ` +
        `${deliveries.length - N} duplicate deliveries`,
    );
  }, 180_000);

  outageRow(
    { system: 'nats', topic: (name) => `${name}.${randomUUID()}`, broker: (options) => broker(options) },
    {
      unreachable: async () => new NatsBroker({ servers: `127.0.0.1:${await freePort()}` }),
      stop: () => server.stop(),
      restart: () => server.restart(),
      publishTimeout: 30_000,
    },
  );
});
