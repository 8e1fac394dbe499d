import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BREAKER_ID, BULKHEAD_ID, type AttemptWrapper } from '../../../lib/core/client/index.js';
import { Handler, MicroClient, MicroError, MicroModule, type ClientCallOptions } from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { startService } from '../../support/apps.js';

const registry = new MemoryRegistry();
/** Calls the service handled: a refused call must never add to it. */
let served = 0;
let down = false;
let gate = deferred();

/** A handler outcome the test settles (Promise.withResolvers is Node 22+). */
function deferred(): { promise: Promise<unknown>; resolve: (outcome: unknown) => void } {
  let resolve!: (outcome: unknown) => void;
  const promise = new Promise<unknown>((r) => (resolve = r));
  return { promise, resolve };
}

/** A new gate; calls still held by the old one are let go (so the server drains at once). */
function newGate(): void {
  gate.resolve({});
  gate = deferred();
}

@Controller()
class FlakyController {
  @Handler('Flaky.Call')
  call(): { ok: true } {
    served++;
    if (down) throw new MicroError('flaky', 'flaky is down', 503);
    return { ok: true };
  }

  /** Answers (or throws) what the test settles the gate with. */
  @Handler('Flaky.Gate')
  async gated(): Promise<unknown> {
    served++;
    const outcome = await gate.promise;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  @Handler('Flaky.Missing')
  missing(): never {
    served++;
    throw MicroError.notFound('flaky', 'no such thing');
  }

  @Handler('Flaky.Conflict')
  conflict(): never {
    served++;
    throw MicroError.conflict('flaky', 'taken');
  }

  @Handler('Flaky.Bad')
  bad(): never {
    served++;
    throw MicroError.badRequest('flaky', 'bad input');
  }

  @Handler('Flaky.Limited')
  limited(): never {
    served++;
    throw new MicroError('flaky', 'slow down', 429);
  }
}

@Module({
  imports: [
    MicroModule.forRoot({
      name: 'flaky',
      address: '127.0.0.1:0',
      registry,
      broker: new MemoryBroker(),
      env: false,
      propagationDelay: 0,
    }),
  ],
  controllers: [FlakyController],
})
class FlakyModule {}

let app: INestMicroservice;

beforeAll(async () => {
  app = await startService(FlakyModule);
});

afterEach(() => {
  vi.useRealTimers();
  down = false;
});

afterAll(async () => {
  gate.resolve({});
  await app?.close();
});

/** A client with breakers and bulkheads of its own (a new call path), counting network attempts. */
function fresh(defaults: Partial<ClientCallOptions>): { client: MicroClient; attempts: () => number } {
  let attempts = 0;
  const count: AttemptWrapper = (next) => (a) => {
    attempts++;
    return next(a);
  };
  const client = new MicroClient(app.get(MicroClient).options, 'flaky', {
    retries: 0,
    attemptWrappers: [count],
    ...defaults,
  });
  return { client, attempts: () => attempts };
}

function record(client: MicroClient): string[] {
  const events: string[] = [];
  for (const event of ['open', 'half-open', 'close'] as const)
    client.breakers.on(event, (e) => events.push(`${event} ${e.name}`));
  return events;
}

const fail = (client: MicroClient, endpoint = 'Flaky.Call'): Promise<unknown> =>
  client.call('flaky', endpoint, {}).then(
    () => expect.unreachable('the call succeeded'),
    (e: unknown) => e,
  );

describe('circuit breaker', () => {
  it('opens after N failures, fails fast with 503 without a network call, half-opens after the cool-down and closes after a good probe', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { client, attempts } = fresh({ breaker: { consecutive: 3, halfOpenAfter: 10_000 } });
    const events = record(client);
    down = true;
    for (let i = 0; i < 3; i++) expect(await fail(client)).toMatchObject({ code: 503, id: 'flaky' });
    expect(client.breakers.get('flaky')?.state).toBe('open');
    expect(events).toEqual(['open flaky']);

    const servedBefore = served;
    const attemptsBefore = attempts();
    const refused = await fail(client);
    expect(refused).toBeInstanceOf(MicroError);
    expect(refused).toMatchObject({ code: 503, id: BREAKER_ID, retryable: false });
    expect((refused as MicroError).detail).toMatch(/circuit breaker flaky is open: calls to flaky fail fast/);
    expect((refused as MicroError).detail).toContain('flaky is down');
    vi.advanceTimersByTime(9_999);
    expect(await fail(client)).toMatchObject({ id: BREAKER_ID });
    expect(served).toBe(servedBefore);
    expect(attempts()).toBe(attemptsBefore);

    down = false;
    vi.advanceTimersByTime(1);
    expect(await client.call('flaky', 'Flaky.Call', {})).toEqual({ ok: true });
    expect(served).toBe(servedBefore + 1);
    expect(events).toEqual(['open flaky', 'half-open flaky', 'close flaky']);
    expect(client.breakers.states()).toEqual({ flaky: 'closed' });
    expect(await client.call('flaky', 'Flaky.Call', {})).toEqual({ ok: true });
  });

  it('lets only the probe through while half-open and re-opens after a bad one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { client } = fresh({ breaker: { consecutive: 1, halfOpenAfter: 5_000 } });
    const events = record(client);
    down = true;
    expect(await fail(client)).toMatchObject({ id: 'flaky' });
    vi.advanceTimersByTime(5_000);

    newGate();
    const servedBefore = served;
    const probe = client.call('flaky', 'Flaky.Gate', {}).catch((e: unknown) => e);
    const meanwhile = await fail(client);
    expect(meanwhile).toMatchObject({ code: 503, id: BREAKER_ID });
    expect((meanwhile as MicroError).detail).toMatch(/is half-open: .* while its probe calls are out/);
    gate.resolve(new MicroError('flaky', 'still broken', 500));
    expect(await probe).toMatchObject({ code: 500, detail: 'still broken' });
    expect(served).toBe(servedBefore + 1);
    expect(events).toEqual(['open flaky', 'half-open flaky', 'open flaky']);
    expect(await fail(client)).toMatchObject({
      id: BREAKER_ID,
      detail: expect.stringContaining('still broken'),
    });

    down = false;
    vi.advanceTimersByTime(5_000);
    expect(await client.call('flaky', 'Flaky.Call', {})).toEqual({ ok: true });
    expect(events.at(-1)).toBe('close flaky');
  });

  it('counts only unhealthy failures: 400, 404, 409 and 429 answers never open it', async () => {
    const { client } = fresh({ breaker: { consecutive: 2 } });
    const events = record(client);
    for (const endpoint of ['Flaky.Bad', 'Flaky.Missing', 'Flaky.Conflict', 'Flaky.Limited'])
      for (let i = 0; i < 3; i++) expect(await fail(client, endpoint)).toMatchObject({ id: 'flaky' });
    expect(client.breakers.get('flaky')?.state).toBe('closed');
    // a success resets the count of a consecutive breaker
    down = true;
    await fail(client);
    down = false;
    await client.call('flaky', 'Flaky.Call', {});
    down = true;
    await fail(client);
    expect(events).toEqual([]);
    await fail(client);
    expect(events).toEqual(['open flaky']);
  });

  it('opens on a failure ratio over a window (sampling), per endpoint when scoped so', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { client } = fresh({
      breaker: { scope: 'endpoint', sampling: { threshold: 0.5, duration: 10_000, minimumRps: 0.5 } },
    });
    const events = record(client);
    for (let i = 0; i < 3; i++) await client.call('flaky', 'Flaky.Call', {});
    down = true;
    // 5 calls in the window are needed; more than half of them must have failed
    for (let i = 0; i < 3; i++) expect(await fail(client)).toMatchObject({ id: 'flaky' });
    expect(events).toEqual([]);
    expect(await fail(client)).toMatchObject({ id: 'flaky' });
    expect(events).toEqual(['open flaky.Flaky.Call']);
    expect(await fail(client)).toMatchObject({ id: BREAKER_ID });
    // another endpoint of the service has its own breaker
    expect(await fail(client, 'Flaky.Missing')).toMatchObject({ code: 404 });
  });

  it('is off by default, and breaker: false calls past a module-wide one', async () => {
    const { client } = fresh({});
    down = true;
    for (let i = 0; i < 6; i++) expect(await fail(client)).toMatchObject({ id: 'flaky' });
    expect(client.breakers.states()).toEqual({});
    const guarded = fresh({ breaker: { consecutive: 1 } }).client;
    await fail(guarded);
    expect(await fail(guarded)).toMatchObject({ id: BREAKER_ID });
    expect(
      await guarded.call('flaky', 'Flaky.Call', {}, { breaker: false }).catch((e: unknown) => e),
    ).toMatchObject({
      id: 'flaky',
    });
  });
});

describe('fallback', () => {
  it('stands in for 503 and 408, as a value or a function of the error, but never for 404 or 409', async () => {
    const { client } = fresh({ fallback: 'cached' });
    down = true;
    expect(await client.call('flaky', 'Flaky.Call', {})).toBe('cached');
    newGate();
    expect(await client.call('flaky', 'Flaky.Gate', {}, { timeout: 100 })).toBe('cached');
    expect(await fail(client, 'Flaky.Missing')).toMatchObject({ code: 404 });
    expect(await fail(client, 'Flaky.Conflict')).toMatchObject({ code: 409 });

    const seen: MicroError[] = [];
    const reply = await client.call(
      'flaky',
      'Flaky.Call',
      {},
      {
        fallback: async (error: MicroError) => {
          seen.push(error);
          return { fallback: error.code };
        },
      },
    );
    expect(reply).toEqual({ fallback: 503 });
    expect(seen[0]).toMatchObject({ id: 'flaky', detail: 'flaky is down' });
  });

  it('stands in for an open breaker; layers module → client → with() → call', async () => {
    const base = app.get(MicroClient).options;
    const moduleWide = new MicroClient({ ...base, client: { ...base.client, fallback: 'module' } }, 'flaky', {
      retries: 0,
      breaker: { consecutive: 1 },
    });
    down = true;
    expect(await moduleWide.call('flaky', 'Flaky.Call', {})).toBe('module');
    const servedBefore = served;
    expect(await moduleWide.call('flaky', 'Flaky.Call', {}, { fallback: (e: MicroError) => e.id })).toBe(
      BREAKER_ID,
    );
    expect(served).toBe(servedBefore);
    const derived = moduleWide.with({ fallback: 'with' });
    expect(await derived.call('flaky', 'Flaky.Call', {})).toBe('with');
    expect(await derived.call('flaky', 'Flaky.Call', {}, { fallback: null })).toBeNull();
  });

  it('a throwing fallback fails the call with its own error', async () => {
    const { client } = fresh({
      fallback: () => {
        throw MicroError.internalServerError('mine', 'no fallback either');
      },
    });
    down = true;
    expect(await fail(client)).toMatchObject({ id: 'mine', code: 500 });
  });
});

describe('bulkhead', () => {
  it('refuses past maxInFlight calls to a service with a 503, without a network call, and frees slots as calls settle', async () => {
    const { client, attempts } = fresh({ maxInFlight: 2 });
    newGate();
    const first = client.call('flaky', 'Flaky.Gate', {});
    const second = client.call('flaky', 'Flaky.Gate', {});
    const attemptsBefore = attempts();
    const refused = await fail(client);
    expect(refused).toMatchObject({ code: 503, id: BULKHEAD_ID, retryable: false });
    expect((refused as MicroError).detail).toBe('bulkhead full: 2 calls to flaky in flight (maxInFlight 2)');
    expect(attempts()).toBe(attemptsBefore);
    expect(await client.call('flaky', 'Flaky.Call', {}, { fallback: 'later' })).toBe('later');
    gate.resolve({ done: true });
    expect(await Promise.all([first, second])).toEqual([{ done: true }, { done: true }]);
    expect(client.unwrap<{ bulkheads: { inFlight(s: string): number } }>().bulkheads.inFlight('flaky')).toBe(
      0,
    );
    expect(await client.call('flaky', 'Flaky.Call', {})).toEqual({ ok: true });
  });

  it('frees the slot of a failed call too', async () => {
    const { client } = fresh({ maxInFlight: 1 });
    down = true;
    for (let i = 0; i < 3; i++) expect(await fail(client)).toMatchObject({ id: 'flaky' });
  });
});

describe('as module options', () => {
  it('MicroModule.forRoot client defaults and registerClients options layer, and every client of the module shares the breakers', async () => {
    const ref = await Test.createTestingModule({
      imports: [
        MicroModule.forRoot({
          registry,
          env: false,
          client: { retries: 0, breaker: { consecutive: 2 }, fallback: 'module' },
        }),
        MicroModule.registerClients([
          { name: 'FLAKY', service: 'flaky', options: { fallback: 'registered' } },
        ]),
      ],
    }).compile();
    const root = ref.get(MicroClient);
    const flaky = ref.get<MicroClient>('FLAKY');
    expect(flaky.breakers).toBe(root.breakers);
    const events = record(root);
    down = true;
    expect(await flaky.call('flaky', 'Flaky.Call', {})).toBe('registered');
    expect(await root.call('flaky', 'Flaky.Call', {})).toBe('module');
    expect(events).toEqual(['open flaky']);
    const servedBefore = served;
    expect(await flaky.call('flaky', 'Flaky.Call', {}, { fallback: (e: MicroError) => e.id })).toBe(
      BREAKER_ID,
    );
    expect(
      await flaky.with({ breaker: false, fallback: (e: MicroError) => e.id }).call('flaky', 'Flaky.Call', {}),
    ).toBe('flaky');
    expect(served).toBe(servedBefore + 1);
    await root.options.transport.close();
    await ref.close();
  });
});
