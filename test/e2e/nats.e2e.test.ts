/**
 * Two Nest apps on NATS only, configured by the one switch (MICRO_REGISTRY / MICRO_TRANSPORT /
 * MICRO_BROKER = nats and their addresses): the service is found through the NATS registry, called
 * over the NATS transport, its subscriber fed by the NATS broker. Then nats-server is SIGKILLed and
 * restarted under a steady load of calls: every call settles (a reply or a typed MicroError, none
 * hangs), calls succeed again once NATS is back, and the service is found again.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroClient, MicroError, MicroModule } from '../../lib/index.js';
import { closePair, startPair, type AppPair } from '../support/apps.js';
import { natsRequirement, startNats, type NatsServer } from '../support/nats.js';
import { waitFor } from '../support/processes.js';
import { GreeterController, received } from './greeter.fixture.js';

const SWITCH = [
  'MICRO_REGISTRY',
  'MICRO_REGISTRY_ADDRESS',
  'MICRO_TRANSPORT',
  'MICRO_TRANSPORT_ADDRESS',
  'MICRO_BROKER',
  'MICRO_BROKER_ADDRESS',
];

describe.skipIf(natsRequirement.skip)('a Nest service and caller on NATS only (one switch)', () => {
  let nats: NatsServer;
  let pair: AppPair | undefined;
  let client: MicroClient;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    nats = await startNats();
    for (const key of SWITCH) saved[key] = process.env[key];
    Object.assign(process.env, {
      MICRO_REGISTRY: 'nats',
      MICRO_REGISTRY_ADDRESS: nats.address,
      MICRO_TRANSPORT: 'nats',
      MICRO_TRANSPORT_ADDRESS: nats.address,
      MICRO_BROKER: 'nats',
      MICRO_BROKER_ADDRESS: nats.address,
    });

    @Module({ imports: [MicroModule.forRoot({ name: 'greeter' })], controllers: [GreeterController] })
    class GreeterModule {}

    @Module({
      imports: [
        MicroModule.forRoot({ name: 'caller', client: { timeout: 3_000, retries: 3 } }),
        MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
      ],
    })
    class CallerModule {}

    pair = await startPair(GreeterModule, CallerModule);
    client = pair.caller.get<MicroClient>('GREETER');
  }, 90_000);

  afterAll(async () => {
    await closePair(pair);
    for (const key of SWITCH) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await nats?.dispose();
  });

  it('announces an _INBOX subject on the nats transport and answers calls over it', async () => {
    expect(pair!.address).toMatch(/^_INBOX\./);
    await waitFor(
      async () => {
        const reply = await client.call('greeter', 'Greeter.Hello', { name: 'John' }).catch(() => undefined);
        return (reply as { msg?: string } | undefined)?.msg === 'Hello John';
      },
      30_000,
      'the first call',
    );
    await expect(client.call('greeter', 'Greeter.Fail', {})).rejects.toMatchObject({ code: 409 });
  });

  it('delivers an event to the @Subscriber through the NATS broker', async () => {
    await firstValueFrom(client.emit('greetings', { from: 'nats' }));
    await waitFor(() => received.some((e) => (e as { from?: string }).from === 'nats'), 10_000, 'the event');
  });

  it('survives a nats-server SIGKILL and restart under load: every call settles, then calls succeed again', async () => {
    const load = { stop: false };
    let ok = 0;
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      while (!load.stop) {
        try {
          await client.call('greeter', 'Greeter.Hello', { name: 'load' });
          ok++;
        } catch (error) {
          failures.push(error);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    await waitFor(() => ok >= 50, 30_000, 'calls under load');
    await nats.stop('SIGKILL');
    await nats.restart();
    const before = ok;
    await waitFor(() => ok >= before + 100, 60_000, 'calls succeeding again after the restart');
    load.stop = true;
    await Promise.all(workers); // every call settled: none hangs past its deadline
    expect(failures.every((f) => f instanceof MicroError)).toBe(true);
    expect(await client.call('greeter', 'Greeter.Hello', { name: 'after' })).toEqual({ msg: 'Hello after' });
  }, 120_000);
});
