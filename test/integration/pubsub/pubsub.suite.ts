/**
 * Pub/sub between real Nest apps, run once per broker: three subscriber service processes
 * (fixtures/subscriber-app.ts) and a publishing Nest app in the test process. Broadcast, queue
 * groups, failure handling (redelivered, then dead-lettered or given up), manual ack, metadata and
 * Content-Type on every message, guards/pipes/interceptors and class-validator messages.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MicroClient, MicroModule } from '../../../lib/index.js';
import { type Broker } from '../../../lib/core/broker/index.js';
import { type Registry } from '../../../lib/core/registry/index.js';
import { GreeterProto } from '../../../sample/greeter.controller.js';
import { startProcess, waitFor, type Started } from '../../support/processes.js';

export interface BrokerSetup {
  kind: 'http' | 'redis' | 'nats';
  /** Env for the subscriber processes. */
  env: Record<string, string>;
  registry: Registry;
  broker: Broker;
  /** Resolves once the publisher can reach `count` subscriptions of `topic`. */
  seen(topic: string, count: number): Promise<boolean>;
  /** Resolves once the broker gave up `topic`'s message `n` (dead letter / given-up count). */
  gaveUp(topic: string, n: number): Promise<boolean>;
  /** Tears down what `env` pointed at. */
  close(): Promise<void>;
}

const N = 1_000;
const MEMBERS = 3;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const sorted = (values: number[]): number[] => values.toSorted((a, b) => a - b);

interface Member {
  proc: Started;
  /** Decoded values printed under `word`, in order (repeats included). */
  lines<T = unknown>(word: string): T[];
}

function member(env: Record<string, string>): Member {
  const proc = startProcess(
    process.execPath,
    ['--import', './scripts/register-ts.mjs', 'test/integration/pubsub/fixtures/subscriber-app.ts'],
    env,
  );
  return {
    proc,
    lines<T>(word: string): T[] {
      const prefix = `${word} `;
      return proc
        .output()
        .split('\n')
        .filter((l) => l.startsWith(prefix))
        .map((l) => JSON.parse(l.slice(prefix.length)) as T);
    },
  };
}

export function pubsubSuite(setupBroker: (topic: string) => Promise<BrokerSetup>): void {
  const T = `ps-${randomUUID().slice(0, 8)}`;
  let setup: BrokerSetup;
  let app: INestApplicationContext;
  let client: MicroClient;
  const members: Member[] = [];
  const all = <V>(word: string): V[] => members.flatMap((m) => m.lines<V>(word));

  async function publishRange(topic: string, n: number): Promise<void> {
    const numbers = range(n);
    for (let i = 0; i < n; i += 16)
      await Promise.all(numbers.slice(i, i + 16).map((k) => client.publish(topic, { n: k })));
  }

  beforeAll(async () => {
    setup = await setupBroker(T);
    @Module({
      imports: [
        MicroModule.forRoot({ name: 'pubsub-publisher', registry: setup.registry, broker: setup.broker }),
      ],
    })
    class PublisherModule {}
    app = await NestFactory.createApplicationContext(PublisherModule, { logger: ['error'] });
    client = app.get(MicroClient);
    await setup.broker.connect();
    for (let i = 0; i < MEMBERS; i++) members.push(member({ ...setup.env, TOPIC: T }));
    for (const m of members)
      await waitFor(
        () => {
          if (m.proc.child.exitCode !== null) throw new Error(`subscriber exited: ${m.proc.output()}`);
          return m.proc.output().includes('ready\n');
        },
        60_000,
        'subscriber app ready',
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${m.proc.output()}`);
      });
    for (const topic of ['all', 'work', 'fail', 'manual', 'meta', 'proto', 'valid', 'guarded'])
      await waitFor(() => setup.seen(`${T}.${topic}`, MEMBERS), 30_000, `${topic} subscribers`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(members.map((m) => m.proc.stop('SIGKILL')));
    await app?.close();
    await setup?.close();
  });

  const alive = (): void => {
    for (const m of members) expect(m.proc.child.exitCode, m.proc.output()).toBeNull();
  };

  it('broadcast: each of 3 subscriber processes receives all 1,000 messages', async () => {
    await publishRange(`${T}.all`, N);
    await waitFor(() => members.every((m) => m.lines('all').length >= N), 60_000, 'all broadcasts');
    for (const m of members) expect(sorted(m.lines<number>('all'))).toEqual(range(N));
  }, 120_000);

  it('queue group: 3 members receive 1,000 messages between them, each exactly once', async () => {
    await publishRange(`${T}.work`, N);
    await waitFor(() => all('work').length >= N, 60_000, 'all queue deliveries');
    expect(sorted(all<number>('work'))).toEqual(range(N));
    for (const m of members) expect(m.lines('work').length).toBeGreaterThan(0);
  }, 120_000);

  it('metadata and Content-Type travel with each message (emit and publish)', async () => {
    await firstValueFrom(client.with({ metadata: { 'X-Tenant': 'acme' } }).emit(`${T}.meta`, { n: 1 }));
    await client.publish(
      `${T}.meta`,
      { n: 2 },
      { metadata: { 'x-tenant': 'globex', 'X-Trace-Id': 't-2' }, contentType: 'application/json-rpc' },
    );
    await waitFor(() => members.every((m) => m.lines('meta').length >= 2), 30_000, 'meta events');
    for (const m of members) {
      const byN = new Map(m.lines<{ n: number; id: string }>('meta').map((l) => [l.n, l]));
      expect(byN.get(1)).toMatchObject({
        contentType: 'application/json',
        tenant: 'acme',
        topic: `${T}.meta`,
      });
      expect(byN.get(2)).toMatchObject({
        contentType: 'application/json-rpc',
        tenant: 'globex',
        trace: 't-2',
      });
      expect(byN.get(1)?.id).toBeTruthy();
    }
  });

  it('a protobuf message is decoded with the type the @Subscriber declares', async () => {
    await client.publish(
      `${T}.proto`,
      { name: 'Ana' },
      { contentType: 'application/protobuf', protobuf: GreeterProto.request },
    );
    await waitFor(() => members.every((m) => m.lines('proto').length >= 1), 30_000, 'proto events');
    for (const m of members)
      expect(m.lines('proto')).toEqual([{ name: 'Ana', contentType: 'application/protobuf' }]);
  });

  it('a handler that throws gets the message again, then the broker gives it up (bounded)', async () => {
    await client.publish(`${T}.fail`, { n: 7 });
    await waitFor(() => setup.gaveUp(`${T}.fail`, 7), 60_000, 'failing message given up');
    const attempts = all<number>('fail');
    expect(attempts.every((n) => n === 7)).toBe(true);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(setup.kind === 'http' ? 3 * MEMBERS : 3);
    alive();
  }, 90_000);

  it("ack: 'manual' — acknowledged through ctx.ack() once; unacknowledged redelivered, then given up", async () => {
    await client.publish(`${T}.manual`, { n: 1, ack: true });
    await client.publish(`${T}.manual`, { n: 2, ack: false });
    await waitFor(() => setup.gaveUp(`${T}.manual`, 2), 60_000, 'unacknowledged message given up');
    const seen = all<number>('manual');
    expect(seen.filter((n) => n === 1)).toEqual([1]);
    expect(seen.filter((n) => n === 2).length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('guards, pipes and interceptors apply to @Subscriber', async () => {
    await client.publish(`${T}.guarded`, { n: 1 }); // no x-tenant: the guard refuses it
    await client.publish(`${T}.guarded`, { n: 2 }, { metadata: { 'x-tenant': 'acme' } });
    await waitFor(() => all('guarded').length >= 1, 30_000, 'guarded event');
    await waitFor(() => setup.gaveUp(`${T}.guarded`, 1), 60_000, 'refused message given up');
    expect(all('guarded')).toEqual([{ n: 2, piped: true }]);
    expect(all('intercepted')).toEqual([`${T}.guarded`]);
    alive();
  }, 90_000);

  it('class-validator messages: a valid one arrives as an instance, an invalid one never reaches the handler', async () => {
    await client.publish(`${T}.valid`, { n: 0, sku: 'x' });
    await client.publish(`${T}.valid`, { n: 5, sku: 'ab' });
    await client.publish(`${T}.valid`, JSON.parse('{"n":6,"sku":"cd","__proto__":{"polluted":1}}'));
    await waitFor(() => all('valid').length >= 2, 30_000, 'valid events');
    await waitFor(() => setup.gaveUp(`${T}.valid`, 0), 60_000, 'invalid message given up');
    expect(all<{ n: number }>('valid').toSorted((a, b) => a.n - b.n)).toEqual([
      { n: 5, instance: true },
      { n: 6, instance: true },
    ]);
    alive();
  }, 90_000);
}
