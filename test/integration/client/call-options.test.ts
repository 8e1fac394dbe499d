import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../support/processes.js';
import {
  Handler,
  MicroClient,
  MicroContext,
  MicroError,
  MicroModule,
  MicroServer,
} from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { startService } from '../../support/apps.js';

const registry = new MemoryRegistry();
const broker = new MemoryBroker();
let release: () => void = () => {};
const slowGate = new Promise<void>((r) => (release = r));
let conflicts = 0;
let nestedOutcome: { code: number; detail: string } | undefined;

@Controller()
class TimingController {
  constructor(private readonly client: MicroClient) {}

  @Handler('Timing.Slow')
  async slow(): Promise<string> {
    await slowGate;
    return 'late';
  }

  @Handler('Timing.Budget')
  budget(@Ctx() ctx: MicroContext): { remaining?: number } {
    return { remaining: ctx.remaining() };
  }

  /** Calls Timing.Budget: the nested call must inherit what is left of this call's budget. */
  @Handler('Timing.Nested')
  nested(): Promise<unknown> {
    return this.client.call('timing', 'Timing.Budget', {}, { timeout: 60_000 });
  }

  /** Waits out the caller's budget, then calls: the nested call must fail fast. */
  @Handler('Timing.Spent')
  async spent(@Ctx() ctx: MicroContext): Promise<unknown> {
    await new Promise((r) => setTimeout(r, (ctx.remaining() ?? 0) + 20));
    return this.client.call('timing', 'Timing.Budget', {}).catch((e: MicroError) => {
      nestedOutcome = { code: e.code, detail: e.detail };
      throw e;
    });
  }

  /** Calls Timing.Headers with metadata of its own: the nested call must carry this call's too. */
  @Handler('Timing.Relay')
  relay(): Promise<unknown> {
    return this.client.call(
      'timing',
      'Timing.Headers',
      {},
      { metadata: { 'x-tenant': 'own', 'x-hop': '2' } },
    );
  }

  @Handler('Timing.Conflict')
  conflict(): never {
    conflicts++;
    throw MicroError.conflict('timing', 'taken');
  }

  @Handler('Timing.Headers')
  headers(@Payload() _d: unknown, @Ctx() ctx: MicroContext): Record<string, string> {
    return ctx.getMetadata().toJSON();
  }
}

@Module({
  imports: [
    MicroModule.forRoot({
      name: 'timing',
      address: '127.0.0.1:0',
      registry,
      broker,
      env: false,
      propagationDelay: 0,
    }),
  ],
  controllers: [TimingController],
})
class TimingModule {}

let app: INestMicroservice;
let client: MicroClient;

beforeAll(async () => {
  app = await startService(TimingModule);
  client = app.get(MicroClient);
});

afterAll(async () => {
  release();
  await app?.close();
});

describe('timeouts and deadlines', () => {
  it('a slow handler → Timeout 408 within the budget', async () => {
    let settled = false;
    const error = await client
      .call('timing', 'Timing.Slow', {}, { timeout: 200, retries: 0 })
      .catch((e: unknown) => e);
    settled = true;
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 408 });
    expect(settled).toBe(true);
  });

  it('the remaining budget travels in the Timeout header and is visible in the handler', async () => {
    const reply = await client.call<{ remaining: number }>('timing', 'Timing.Budget', {}, { timeout: 1_500 });
    expect(reply.remaining).toBeGreaterThan(0);
    expect(reply.remaining).toBeLessThanOrEqual(1_500);
  });

  it('a timeout past what setTimeout holds (Infinity, 2^40 ms) waits for the reply instead of firing at once', async () => {
    for (const timeout of [Infinity, 2 ** 40]) {
      const reply = await client.call<{ remaining: number }>('timing', 'Timing.Budget', {}, { timeout });
      expect(reply.remaining).toBeGreaterThan(1_000_000);
    }
  });

  it('a nested call inherits the remaining budget, not its own larger timeout', async () => {
    const reply = await client.call<{ remaining: number }>('timing', 'Timing.Nested', {}, { timeout: 1_000 });
    expect(reply.remaining).toBeGreaterThan(0);
    expect(reply.remaining).toBeLessThanOrEqual(1_000);
  });

  it('a nested call fails fast with 408 once the budget is spent', async () => {
    // The outer call times out at the client; the handler's own nested call must not go out.
    await expect(
      client.call('timing', 'Timing.Spent', {}, { timeout: 100, retries: 0 }),
    ).rejects.toMatchObject({ code: 408 });
    await waitFor(() => nestedOutcome !== undefined, 5_000, 'the nested call to settle');
    expect(nestedOutcome).toMatchObject({
      code: 408,
      detail: expect.stringContaining("caller's deadline has passed"),
    });
  });
});

describe('metadata of the call being served', () => {
  it("travels on with a nested call (go-micro's ctx), under the nested call's own, without hop headers", async () => {
    const seen = await client.call<Record<string, string>>(
      'timing',
      'Timing.Relay',
      {},
      {
        metadata: { 'X-Trace-Id': 't-1', traceparent: '00-abc-01', 'x-tenant': 'acme', 'user-agent': 'ua/1' },
      },
    );
    expect(seen).toMatchObject({
      'x-trace-id': 't-1',
      traceparent: '00-abc-01',
      'x-tenant': 'own',
      'x-hop': '2',
    });
    expect(seen['user-agent']).toBeUndefined();
  });
});

describe('retries', () => {
  it('an application error (4xx/5xx) is not retried', async () => {
    const before = conflicts;
    await expect(client.call('timing', 'Timing.Conflict', {}, { retries: 3 })).rejects.toMatchObject({
      code: 409,
    });
    expect(conflicts).toBe(before + 1);
  });

  it('a refused connection is retried on the next node', async () => {
    const live = app.get(MicroServer).address!;
    // a call starts at a random one of its fixed addresses: here the dead one
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      expect(
        await client.call('timing', 'Debug.Health', {}, { address: ['127.0.0.1:1', live], retries: 1 }),
      ).toEqual({ status: 'ok' });
    } finally {
      random.mockRestore();
    }
  });

  it('with idempotent: false a timed-out attempt is not retried', async () => {
    let attempts = 0;
    const error = await client
      .call(
        'timing',
        'Timing.Slow',
        {},
        {
          timeout: 2_000,
          attemptTimeout: 100,
          retries: 3,
          idempotent: false,
          attemptWrappers: [(next) => (a) => (attempts++, next(a))],
        },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 408 });
    expect(attempts).toBe(1);
  });
});

describe('call wrappers', () => {
  it('wrap the whole call and each attempt; attempt wrappers may add headers', async () => {
    const seen: string[] = [];
    const reply = await client.call<Record<string, string>>(
      'timing',
      'Timing.Headers',
      {},
      {
        metadata: { 'x-tenant': 'acme' },
        wrappers: [(next) => async (call) => (seen.push(`call ${call.endpoint}`), next(call))],
        attemptWrappers: [
          (next) => async (a) => (
            seen.push(`attempt ${a.attempt} ${a.node.address}`),
            next({ ...a, header: { ...a.header, 'x-trace': 't-1' } })
          ),
        ],
      },
    );
    expect(reply).toMatchObject({ 'x-tenant': 'acme', 'x-trace': 't-1' });
    expect(seen[0]).toBe('call Timing.Headers');
    expect(seen[1]).toMatch(/^attempt 0 127\.0\.0\.1:\d+$/);
  });
});
