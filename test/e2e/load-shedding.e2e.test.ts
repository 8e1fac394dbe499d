/**
 * Load shedding and rate limits end to end, on both transports: a handler limited to one call
 * running and one waiting, flooded, refuses the rest at once with a retryable 503 while the
 * service keeps answering its other endpoints; a stream holds its slot while open; a rate-limited
 * handler answers a 429 the client does not retry. No timing is asserted: the busy handler waits
 * on a promise the test resolves.
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom, from, lastValueFrom, ReplaySubject, toArray, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../lib/core/transport/index.js';
import { Handler, MicroClient, MicroError, MicroModule, MicroServer } from '../../lib/index.js';
import { isShed } from '../../lib/core/errors/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { type AttemptWrapper } from '../../lib/core/client/index.js';
import { waitFor } from '../support/processes.js';
import { startService } from '../support/apps.js';

let release: () => void = () => undefined;
let hold: Promise<void> = Promise.resolve();
const started: number[] = [];

@Controller()
class BusyController {
  @Handler('Busy.Work', { maxConcurrent: 1, maxQueued: 1 })
  async work(@Payload() request: { n: number }): Promise<{ n: number }> {
    started.push(request.n);
    await hold;
    return { n: request.n };
  }

  @Handler('Busy.Ping')
  ping(): { ok: boolean } {
    return { ok: true };
  }

  @Handler('Busy.Down')
  down(): never {
    throw new MicroError('busy.down', 'not now', 503);
  }

  @Handler('Busy.Limited', { rateLimit: { rate: 0.001, burst: 2 } })
  limited(): { ok: boolean } {
    return { ok: true };
  }

  @Handler('Busy.Echo', { stream: true, maxConcurrent: 1 })
  echo(@Payload() requests: Observable<{ n: number }>): Observable<{ n: number }> {
    return requests;
  }
}

describe.each(['http', 'tcp'] as const)('load shedding over the %s transport', (transport) => {
  const registry = new MemoryRegistry();
  let service: INestMicroservice;
  let caller: INestMicroservice;
  let client: MicroClient;

  beforeAll(async () => {
    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'busy',
          address: '127.0.0.1:0',
          registry,
          broker: new MemoryBroker(),
          transport: createTransport(transport),
          env: false,
          maxConcurrent: 64,
        }),
      ],
      controllers: [BusyController],
    })
    class ServiceModule {}
    service = await startService(ServiceModule);
    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'caller',
          registry,
          broker: new MemoryBroker(),
          transport: createTransport(transport),
          env: false,
          client: { retries: 0 },
        }),
        MicroModule.registerClients([{ name: 'BUSY', service: 'busy' }]),
      ],
    })
    class CallerModule {}
    const callerRef = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    caller = callerRef.createNestMicroservice({ ...MicroServer.fromModule(), logger: false });
    client = caller.get<MicroClient>('BUSY');
  });

  afterAll(async () => {
    release();
    await caller?.close();
    await service?.close();
  });

  it('sheds calls past maxConcurrent + maxQueued with a retryable 503, and keeps serving', async () => {
    started.length = 0;
    hold = new Promise<void>((resolve) => (release = resolve));
    const outcomes: Array<{ n: number; value?: unknown; error?: MicroError }> = [];
    const calls = [1, 2, 3, 4, 5].map((n) =>
      client.call('busy', 'Busy.Work', { n }).then(
        (value) => void outcomes.push({ n, value }),
        (error: MicroError) => void outcomes.push({ n, error }),
      ),
    );
    // one runs, one waits: the other three are refused at once, unrun
    await waitFor(() => outcomes.length === 3, 5_000, 'three refusals');
    for (const { error } of outcomes) {
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ code: 503, retryable: true, id: 'busy:Busy.Work:maxQueued' });
      expect(isShed(error)).toBe(true);
    }
    expect(started).toHaveLength(1);
    // the service still answers everything else
    expect(await client.call('busy', 'Busy.Ping', {})).toEqual({ ok: true });

    release();
    await Promise.all(calls);
    const served = outcomes.filter((o) => o.error === undefined).map((o) => o.n);
    expect(started).toHaveLength(2);
    expect(served.toSorted()).toEqual(started.toSorted());
    // slots were given back
    expect(await client.call('busy', 'Busy.Work', { n: 6 })).toEqual({ n: 6 });
  });

  it('retries a shed call at once, without the backoff a failed node gets', async () => {
    started.length = 0;
    hold = new Promise<void>((resolve) => (release = resolve));
    const busy = [1, 2].map((n) => client.call('busy', 'Busy.Work', { n })); // one runs, one waits
    await waitFor(() => started.length === 1, 5_000, 'the first call running');
    const pauses: number[] = [];
    let attempts = 0;
    const counting: AttemptWrapper = (next) => (request) => (attempts++, next(request));
    const retrying = client.with({
      retries: 1,
      backoff: (attempt) => (pauses.push(attempt), 0),
      attemptWrappers: [counting],
    });
    const shed = await retrying.call('busy', 'Busy.Work', { n: 3 }).catch((e: unknown) => e);
    expect(isShed(shed)).toBe(true);
    expect(attempts).toBe(2); // retried (on the only node, so shed again) …
    expect(pauses).toEqual([]); // … with no pause
    attempts = 0;
    const down = await retrying.call('busy', 'Busy.Down', {}).catch((e: unknown) => e);
    expect(down).toMatchObject({ code: 503, id: 'busy.down' });
    expect(attempts).toBe(2);
    expect(pauses).toEqual([1]); // a node failing gets the backoff
    release();
    await Promise.all(busy);
  });

  it('counts an open stream against its handler’s maxConcurrent until it ends', async () => {
    const first = new ReplaySubject<{ n: number }>(); // the client subscribes once the stream is open
    const got: unknown[] = [];
    let seen!: () => void;
    const echoed = new Promise<void>((resolve) => (seen = resolve));
    const collected = new Promise<unknown[]>((resolve, reject) =>
      client.stream<{ n: number }>('busy', 'Busy.Echo', first, { timeout: 5_000 }).subscribe({
        next: (value) => (got.push(value), seen()),
        error: reject,
        complete: () => resolve(got),
      }),
    );
    first.next({ n: 1 });
    await echoed; // the first stream is open and served

    const refused = await firstValueFrom(
      client.stream('busy', 'Busy.Echo', from([{ n: 2 }]), { timeout: 5_000 }),
    ).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 503, retryable: true, id: 'busy:Busy.Echo:maxConcurrent' });

    first.complete();
    expect(await collected).toEqual([{ n: 1 }]);
    const again = client.stream<{ n: number }>('busy', 'Busy.Echo', from([{ n: 3 }]), {
      timeout: 5_000,
    });
    expect(await lastValueFrom(again.pipe(toArray()))).toEqual([{ n: 3 }]);
  });

  it('answers past its rate limit with a 429 that the client does not retry', async () => {
    let attempts = 0;
    const counting: AttemptWrapper = (next) => (request) => {
      attempts++;
      return next(request);
    };
    const limited = client.with({ retries: 3, attemptWrappers: [counting] });
    expect(await limited.call('busy', 'Busy.Limited', {})).toEqual({ ok: true });
    expect(await limited.call('busy', 'Busy.Limited', {})).toEqual({ ok: true });
    attempts = 0;
    const error = await limited.call('busy', 'Busy.Limited', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 429, retryable: false, id: 'busy:Busy.Limited:rateLimit' });
    expect(attempts).toBe(1);
    expect(await client.call('busy', 'Busy.Ping', {})).toEqual({ ok: true });
  });
});
