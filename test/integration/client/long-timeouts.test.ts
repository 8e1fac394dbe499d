/**
 * Timeouts past what setTimeout holds (2^31-1 ms; Node fires a longer timer after 1 ms): a call,
 * an attempt, a stream and a bare transport call given 2^32 ms (or Infinity) wait for their answer
 * instead of failing at once, on both transports. The handlers answer after a few ms, so a timer
 * that overflowed would have fired first. The handler sees the budget as MAX_TIMEOUT_MS at most, and
 * no timer is ever asked for more than that (a spy on setTimeout: the framed client's deadline timer
 * used to re-arm every 1 ms instead of failing, which only the spy sees).
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { delay, lastValueFrom, map, of, concatMap, toArray, type Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTransport } from '../../../lib/core/transport/index.js';
import { Handler, MicroClient, MicroContext, MicroModule, MicroServer } from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MAX_TIMEOUT_MS } from '../../../lib/core/metadata/headers.js';
import type { Transport } from '../../../lib/core/transport/transport.js';
import { startService } from '../../support/apps.js';

const LATE = 30;
let delays: number[] = [];
beforeEach(() => {
  delays = [];
  const real = globalThis.setTimeout;
  const spy = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): NodeJS.Timeout => {
    delays.push(ms ?? 0);
    return real(fn, ms, ...args);
  };
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(spy as typeof setTimeout);
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(delays.filter((ms) => !(ms <= MAX_TIMEOUT_MS))).toEqual([]);
});
const HUGE = [2 ** 32, Infinity];

@Controller()
class LongController {
  @Handler('Long.Budget')
  async budget(@Ctx() ctx: MicroContext): Promise<{ remaining?: number }> {
    await new Promise((r) => setTimeout(r, LATE));
    return { remaining: ctx.remaining() };
  }

  @Handler('Long.Echo', { stream: true })
  echo(@Payload() requests: Observable<{ n: number }>, @Ctx() ctx: MicroContext): Observable<unknown> {
    return requests.pipe(
      concatMap((r) => of(r).pipe(delay(LATE))),
      map((r) => ({ n: r.n, remaining: ctx.remaining() })),
    );
  }
}

describe.each(['http', 'tcp'] as const)('timeouts past 2^31-1 ms over the %s transport', (name) => {
  const transport: Transport = createTransport(name);
  let app: INestMicroservice;
  let client: MicroClient;
  let address: string;

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'long',
        address: '127.0.0.1:0',
        registry: new MemoryRegistry(),
        broker: new MemoryBroker(),
        env: false,
        propagationDelay: 0,
        transport,
      }),
    ],
    controllers: [LongController],
  })
  class LongModule {}

  beforeAll(async () => {
    app = await startService(LongModule);
    client = app.get(MicroClient);
    address = app.get(MicroServer).address!;
  });
  afterAll(() => app?.close());

  it('a call with timeout 2^32 ms (or Infinity) gets its reply', async () => {
    for (const timeout of HUGE) {
      const reply = await client.call<{ remaining: number }>('long', 'Long.Budget', {}, { timeout });
      expect(reply.remaining).toBeGreaterThan(1_000_000);
      expect(reply.remaining).toBeLessThanOrEqual(MAX_TIMEOUT_MS);
    }
  });

  it('an attemptTimeout of 2^32 ms gets its reply', async () => {
    const options = { timeout: 60_000, attemptTimeout: 2 ** 32, retries: 0 };
    const reply = await client.call<{ remaining: number }>('long', 'Long.Budget', {}, options);
    expect(reply.remaining).toBeGreaterThan(0);
  });

  it('a stream with timeout 2^32 ms (or Infinity) runs to its end', async () => {
    for (const timeout of HUGE) {
      const requests = of({ n: 1 }, { n: 2 });
      const replies = await lastValueFrom(
        client
          .stream<{ n: number; remaining: number }>('long', 'Long.Echo', requests, { timeout })
          .pipe(toArray()),
      );
      expect(replies.map((r) => r.n)).toEqual([1, 2]);
      expect(replies[0]!.remaining).toBeGreaterThan(1_000_000);
      expect(replies[0]!.remaining).toBeLessThanOrEqual(MAX_TIMEOUT_MS);
    }
  });

  it("the transport's own call with timeout 2^32 ms (or Infinity) gets its reply", async () => {
    const own = createTransport(name); // a fresh client: its deadline timer is armed by these calls
    const dialed = own.dial(address);
    for (const timeout of HUGE) {
      const header = {
        'content-type': 'application/json',
        'micro-service': 'long',
        'micro-endpoint': 'Long.Budget',
        'micro-method': 'Long.Budget',
        'micro-id': '1',
      };
      const outcome = await new Promise<{ error: unknown; body?: string }>((resolve) =>
        dialed.call({ header, body: Buffer.from('{}') }, { timeout }, (error, reply) =>
          resolve({ error, body: reply?.body.toString() }),
        ),
      );
      expect(outcome.error).toBeNull();
      expect(JSON.parse(outcome.body!)).toEqual({}); // no Timeout header: no deadline to see
    }
    await own.close();
  });
});
