/**
 * Redis broker across processes, on a real redis-server: broadcast to three subscriber processes,
 * a queue group of three processes, and a queue member killed with messages in hand.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../../lib/core/broker/redis.broker.js';
import { waitFor } from '../../support/processes.js';
import { redisRequirement, startRedis, type RedisServer } from '../../support/redis.js';
import { body, range, startMember, type Member } from './harness.js';

const N = 1_000;

describe.skipIf(redisRequirement.skip)('RedisBroker across processes', () => {
  let redis: RedisServer;
  let publisher: RedisBroker;
  const members: Member[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    publisher = new RedisBroker({ url: redis.url });
    await publisher.connect();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(members.map((m) => m.proc.stop('SIGKILL')));
    await publisher?.disconnect();
    await redis?.dispose();
  });

  async function spawn(count: number, env: Record<string, string>): Promise<Member[]> {
    const started = await Promise.all(range(count).map(() => startMember({ REDIS_URL: redis.url, ...env })));
    members.push(...started);
    return started;
  }

  async function publishAll(topic: string, numbers: number[]): Promise<void> {
    for (const n of numbers)
      await publisher.publish(topic, { header: { 'content-type': 'application/json' }, body: body(n) });
  }

  it('broadcast: each of 3 subscriber processes receives all 1,000 messages', async () => {
    const topic = `bcast-${randomUUID()}`;
    const subs = await spawn(3, { TOPIC: topic });
    await publishAll(topic, range(N));
    await waitFor(() => subs.every((s) => s.acked().length >= N), 60_000, 'all broadcast deliveries');
    for (const s of subs) expect(s.got().toSorted((a, b) => a - b)).toEqual(range(N));
  }, 120_000);

  it('queue: 3 members of one group receive 1,000 messages between them, each exactly once', async () => {
    const topic = `queue-${randomUUID()}`;
    const group = await spawn(3, { TOPIC: topic, QUEUE: 'workers' });
    await publishAll(topic, range(N));
    const all = (): number[] => group.flatMap((m) => m.acked());
    await waitFor(() => all().length >= N, 60_000, 'all queue deliveries');
    // A little longer: a duplicate would show up now if there were one.
    await new Promise((r) => setTimeout(r, 300));
    expect(all().toSorted((a, b) => a - b)).toEqual(range(N));
    console.info(
      'queue distribution',
      group.map((m) => m.got().length),
    );
  }, 120_000);

  it('crash: messages in hand of a killed member go to another member; none lost', async () => {
    const topic = `crash-${randomUUID()}`;
    const env = { TOPIC: topic, QUEUE: 'workers', VISIBILITY_MS: '1000' };
    const [victim] = await spawn(1, { ...env, HANG_AFTER: '50' });
    const survivors = await spawn(2, env);
    await publishAll(topic, range(N));
    // The victim holds everything it got beyond its 50th message, unacknowledged.
    await waitFor(() => victim!.got().length > 50, 60_000, 'victim holding messages');
    const inHandAtKill = (): number[] => victim!.got().slice(50);
    await victim!.proc.stop('SIGKILL');
    const inHand = inHandAtKill();
    expect(inHand.length).toBeGreaterThan(0);

    const survivorGot = (): number[] => survivors.flatMap((m) => m.acked());
    const delivered = (): Set<number> => new Set([...victim!.acked(), ...survivorGot()]);
    await waitFor(() => delivered().size >= N, 60_000, 'every message delivered after the crash');
    expect([...delivered()].toSorted((a, b) => a - b)).toEqual(range(N));
    for (const n of inHand) expect(survivorGot()).toContain(n);
    // Duplicates only for the ones the victim had in hand.
    const counts = new Map<number, number>();
    for (const n of [...victim!.acked(), ...survivorGot()]) counts.set(n, (counts.get(n) ?? 0) + 1);
    const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
    for (const n of duplicated) expect(inHand).toContain(n);
  }, 120_000);
});
