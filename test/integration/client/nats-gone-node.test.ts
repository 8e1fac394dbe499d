/**
 * A node listed in the registry whose subject nobody listens on any more (a crashed go-micro node on
 * NATS stays listed until the cache entry expires: go-micro's NATS registry sends no TTL). NATS
 * answers "no responders" at once; the selector ejects that node at its first failure and the call
 * is retried on a live node, so callers see no failure and the dead node gets one attempt, not the
 * failureThreshold it would take for an ordinary failure.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { NatsTransport } from '../../../lib/core/transport/index.js';
import type { Listener } from '../../../lib/core/transport/transport.js';
import { type AttemptWrapper } from '../../../lib/core/client/index.js';
import { MicroClient } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/nest/options.js';
import { natsRequirement, startNats, type NatsServer } from '../../support/nats.js';

describe.skipIf(natsRequirement.skip)('a node gone from NATS but still listed', () => {
  let nats: NatsServer;
  let transport: NatsTransport;
  let listener: Listener;
  const registry = new MemoryRegistry();

  beforeAll(async () => {
    nats = await startNats({ jetstream: false });
    transport = NatsTransport.fromAddress(nats.address);
    listener = await transport.listen(':0', {
      call: (_request, reply) =>
        reply({ header: { 'content-type': 'application/json' }, body: Buffer.from('{"msg":"hi"}') }),
      stream: (socket) => socket.close(),
    });
    const metadata = { transport: 'nats' };
    await registry.register({
      name: 'greeter',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: [
        { id: 'greeter-gone', address: '_INBOX.crashed.node', metadata },
        { id: 'greeter-live', address: listener.address, metadata },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await listener?.close(100);
    await transport?.close();
    await nats?.dispose();
  });

  it('is tried once, ejected at once, and no call fails', async () => {
    const attempts = new Map<string, number>();
    const count: AttemptWrapper = (next) => (a) => {
      attempts.set(a.node.id, (attempts.get(a.node.id) ?? 0) + 1);
      return next(a);
    };
    const client = new MicroClient(
      resolveOptions({
        registry,
        transport,
        env: false,
        // a cooldown longer than the test: no half-open probe muddles the count
        selectorOptions: { cooldown: 600_000 },
        client: { retries: 2, attemptWrappers: [count] },
      }),
      'greeter',
    );
    for (let i = 0; i < 40; i++)
      expect(await client.call('greeter', 'Greeter.Hello', {})).toEqual({ msg: 'hi' });
    expect(attempts.get('greeter-gone')).toBe(1);
    expect(attempts.get('greeter-live')).toBe(40);
  });
});
