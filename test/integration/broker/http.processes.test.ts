/**
 * HTTP broker across processes on loopback, sharing one registry (test/support/registry-server):
 * broadcast and queue to subscriber processes, and a subscriber that is down at publish time
 * getting the message from the retry inbox once it is back.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBroker } from '../../../lib/core/broker/http.broker.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { serveRegistry, type ServedRegistry } from '../../support/registry-server.js';
import { RemoteRegistry } from '../../support/remote-registry.js';
import { body, range, startMember, type Member } from './harness.js';

const N = 1_000;

describe('HttpBroker across processes', () => {
  let shared: ServedRegistry;
  let publisher: HttpBroker;
  const members: Member[] = [];

  beforeAll(async () => {
    shared = await serveRegistry();
    publisher = new HttpBroker({ registry: new RemoteRegistry(shared.url), retryInterval: 100 });
    await publisher.connect();
  });

  afterAll(async () => {
    await Promise.all(members.map((m) => m.proc.stop('SIGKILL')));
    await publisher?.disconnect();
    await shared?.close();
  });

  async function spawn(count: number, env: Record<string, string>): Promise<Member[]> {
    const started = await Promise.all(
      range(count).map(() =>
        startMember({ REGISTRY_URL: shared.url, ...env }, 'test/integration/broker/fixtures/http-member.ts'),
      ),
    );
    members.push(...started);
    return started;
  }

  /** Publishes 1..n, 16 at a time. */
  async function publishAll(topic: string, n: number): Promise<void> {
    const numbers = range(n);
    for (let i = 0; i < n; i += 16)
      await Promise.all(
        numbers.slice(i, i + 16).map((k) => publisher.publish(topic, { header: {}, body: body(k) })),
      );
  }

  it('broadcast: each subscriber process receives every message', async () => {
    const topic = `bcast-${randomUUID()}`;
    const subs = await spawn(2, { TOPIC: topic });
    await publishAll(topic, N);
    await waitFor(() => subs.every((s) => s.got().length >= N), 60_000, 'all broadcast deliveries');
    for (const s of subs) expect(s.got().toSorted((a, b) => a - b)).toEqual(range(N));
    expect(publisher.stats()).toMatchObject({ queued: 0, dropped: 0 });
  }, 120_000);

  it('queue: two member processes receive the messages between them, each exactly once', async () => {
    const topic = `queue-${randomUUID()}`;
    const group = await spawn(2, { TOPIC: topic, QUEUE: 'workers' });
    await publishAll(topic, N);
    const all = (): number[] => group.flatMap((m) => m.got());
    await waitFor(() => all().length >= N, 60_000, 'all queue deliveries');
    await new Promise((r) => setTimeout(r, 200));
    expect(all().toSorted((a, b) => a - b)).toEqual(range(N));
    expect(group.every((m) => m.got().length > 0)).toBe(true);
  }, 120_000);

  it('a subscriber down at publish time gets the message from the retry inbox once it is back', async () => {
    const topic = `inbox-${randomUUID()}`;
    const env = { TOPIC: topic, BROKER_ID: randomUUID(), ADDRESS: `127.0.0.1:${await freePort()}` };
    const [first] = await spawn(1, env);
    await first!.proc.stop('SIGKILL'); // its registration stays until the TTL runs out
    for (const n of range(5)) await publisher.publish(topic, { header: {}, body: body(n) });
    expect(publisher.stats().queued).toBe(5);
    const [back] = await spawn(1, env);
    await waitFor(() => back!.got().length >= 5, 30_000, 'retried deliveries');
    expect(back!.got().toSorted((a, b) => a - b)).toEqual(range(5));
    await waitFor(() => publisher.stats().queued === 0, 10_000, 'inbox drained');
  }, 60_000);
});
