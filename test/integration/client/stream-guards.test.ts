/**
 * Streams through the circuit breaker and the `maxInFlight` bulkhead, on both transports. Breaker:
 * an open one refuses a stream with the same 503 as a call, without a network call; failing to open
 * (the server's first word an error) counts, opening (its first message) is a success even if the
 * stream fails later; a half-open probe cancelled before it opened frees the probe's place. Bulkhead:
 * an open stream holds a slot (shared with calls) for its whole life, and gives it back on every end
 * path — completed, failed by the server, cancelled, past its deadline, failed by its own requests,
 * unreachable node, no node at all. Time moves by fake Date only.
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { lastValueFrom, NEVER, Observable, of, ReplaySubject, throwError, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BREAKER_ID, BULKHEAD_ID } from '../../../lib/core/client/index.js';
import { createTransport } from '../../../lib/core/transport/index.js';
import { Handler, MicroClient, MicroError, MicroModule, type ClientCallOptions } from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import type { RpcCaller } from '../../../lib/core/client/rpc-caller.js';
import { startService } from '../../support/apps.js';

/** Streams the service was asked to open: a refused stream must never add to it. */
let opened = 0;

@Controller()
class FlowController {
  @Handler('Flow.Echo', { stream: true })
  echo(@Payload() requests: Observable<unknown>): Observable<unknown> {
    opened++;
    return requests;
  }

  /** Fails before its first reply: the stream did not open. */
  @Handler('Flow.Down', { stream: true })
  down(): Observable<unknown> {
    opened++;
    return throwError(() => new MicroError('flow', 'flow is down', 503));
  }

  /** One reply, then a failure: the stream opened. */
  @Handler('Flow.Late', { stream: true })
  late(): Observable<unknown> {
    opened++;
    return new Observable((subscriber) => {
      subscriber.next({ n: 1 });
      setTimeout(() => subscriber.error(new MicroError('flow', 'failed later', 503)), 5);
    });
  }

  /** Never says a word. */
  @Handler('Flow.Quiet', { stream: true })
  quiet(): Observable<unknown> {
    opened++;
    return NEVER;
  }

  @Handler('Flow.Call')
  call(): { ok: true } {
    return { ok: true };
  }
}

const fail = (stream: Observable<unknown>): Promise<unknown> =>
  lastValueFrom(stream).then(
    () => expect.unreachable('the stream succeeded'),
    (e: unknown) => e,
  );

describe.each(['tcp', 'http'] as const)('streams through breakers and bulkheads over %s', (name) => {
  const registry = new MemoryRegistry();
  let app: INestMicroservice;

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'flow',
        address: '127.0.0.1:0',
        registry,
        broker: new MemoryBroker(),
        env: false,
        propagationDelay: 0,
        transport: createTransport(name),
      }),
    ],
    controllers: [FlowController],
  })
  class FlowModule {}

  beforeAll(async () => {
    app = await startService(FlowModule);
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => app?.close());

  /** A client with breakers and bulkheads of its own. */
  function fresh(defaults: Partial<ClientCallOptions>): {
    client: MicroClient;
    inFlight: (service?: string) => number;
  } {
    const client = new MicroClient(app.get(MicroClient).options, 'flow', { retries: 0, ...defaults });
    return { client, inFlight: (service = 'flow') => client.unwrap<RpcCaller>().bulkheads.inFlight(service) };
  }

  describe('circuit breaker', () => {
    it('failing to open counts; an open breaker refuses streams and calls with its 503, without a network call', async () => {
      const { client } = fresh({ breaker: { consecutive: 2 } });
      for (let i = 0; i < 2; i++) {
        expect(await fail(client.stream('Flow.Down', of({})))).toMatchObject({ code: 503, id: 'flow' });
      }
      expect(client.breakers.get('flow')?.state).toBe('open');
      const before = opened;
      const refused = await fail(client.stream('Flow.Echo', of({ n: 1 })));
      expect(refused).toBeInstanceOf(MicroError);
      expect(refused).toMatchObject({ code: 503, id: BREAKER_ID, retryable: false });
      expect(await client.call('flow', 'Flow.Call', {}).catch((e: unknown) => e)).toMatchObject({
        id: BREAKER_ID,
      });
      expect(opened).toBe(before);
    });

    it('a stream that opened is a success, even when it fails later', async () => {
      const { client } = fresh({ breaker: { consecutive: 2 } });
      await fail(client.stream('Flow.Down', of({})));
      const replies = await lastValueFrom(client.stream('Flow.Echo', of({ n: 1 })).pipe(toArray()));
      expect(replies).toEqual([{ n: 1 }]);
      await fail(client.stream('Flow.Down', of({})));
      expect(client.breakers.get('flow')?.state).toBe('closed'); // the success reset the count
      for (let i = 0; i < 3; i++) {
        expect(await fail(client.stream('Flow.Late', NEVER))).toMatchObject({ detail: 'failed later' });
      }
      expect(client.breakers.get('flow')?.state).toBe('closed');
    });

    it('a half-open probe stream closes the breaker at its first reply; one cancelled before that frees the probe', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const { client } = fresh({ breaker: { consecutive: 1, halfOpenAfter: 1_000 } });
      await fail(client.stream('Flow.Down', of({})));
      vi.advanceTimersByTime(1_000);

      const probe = client.stream('Flow.Quiet', NEVER).subscribe({ error: () => undefined });
      await vi.waitFor(() => expect(client.breakers.get('flow')?.state).toBe('half-open'));
      expect(await fail(client.stream('Flow.Echo', of({})))).toMatchObject({ id: BREAKER_ID });
      probe.unsubscribe();
      expect(client.breakers.get('flow')?.state).toBe('half-open'); // no outcome: neither closed nor open

      const requests = new ReplaySubject<{ n: number }>();
      const replies: unknown[] = [];
      const second = client.stream('Flow.Echo', requests).subscribe((r) => replies.push(r));
      requests.next({ n: 1 });
      await vi.waitFor(() => expect(replies).toHaveLength(1));
      expect(client.breakers.get('flow')?.state).toBe('closed'); // before the stream ends
      second.unsubscribe();
    });
  });

  describe('bulkhead', () => {
    it('an open stream holds a slot for its whole life, shared with calls', async () => {
      const { client, inFlight } = fresh({ maxInFlight: 2 });
      const streams = [new ReplaySubject<{ n: number }>(), new ReplaySubject<{ n: number }>()];
      const done = streams.map((requests) =>
        lastValueFrom(client.stream('Flow.Echo', requests).pipe(toArray())),
      );
      for (const [i, requests] of streams.entries()) requests.next({ n: i });
      const refused = await fail(client.stream('Flow.Echo', of({})));
      expect(refused).toMatchObject({ code: 503, id: BULKHEAD_ID });
      expect((refused as MicroError).detail).toContain('2 calls to flow in flight');
      expect(await client.call('flow', 'Flow.Call', {}).catch((e: unknown) => e)).toMatchObject({
        id: BULKHEAD_ID,
      });
      expect(inFlight()).toBe(2);
      streams[0]!.complete();
      expect(await done[0]).toEqual([{ n: 0 }]);
      expect(inFlight()).toBe(1);
      expect(await client.call('flow', 'Flow.Call', {})).toEqual({ ok: true });
      streams[1]!.complete();
      await done[1];
      expect(inFlight()).toBe(0);
    });

    it('gives the slot back on every end path', async () => {
      const { client, inFlight } = fresh({ maxInFlight: 1 });
      const ends: [string, () => Promise<unknown>][] = [
        ['completed', () => lastValueFrom(client.stream('Flow.Echo', of({ n: 1 })))],
        ['failed by the server', () => fail(client.stream('Flow.Down', of({})))],
        ['failed after opening', () => fail(client.stream('Flow.Late', NEVER))],
        ['past its deadline', () => fail(client.stream('Flow.Quiet', NEVER, { timeout: 30 }))],
        [
          'its requests failed',
          () =>
            fail(
              client.stream(
                'Flow.Quiet',
                throwError(() => new Error('no')),
              ),
            ),
        ],
        ['unreachable', () => fail(client.stream('Flow.Echo', NEVER, { address: '127.0.0.1:1' }))],
        ['no node', () => fail(client.stream('nowhere', 'Flow.Echo', NEVER))],
        [
          'cancelled',
          async () => {
            const requests = new ReplaySubject<{ n: number }>();
            const replies: unknown[] = [];
            const sub = client.stream('Flow.Echo', requests).subscribe((r) => replies.push(r));
            requests.next({ n: 1 });
            await vi.waitFor(() => expect(replies).toHaveLength(1));
            expect(inFlight()).toBe(1);
            sub.unsubscribe();
          },
        ],
        [
          'iteration left early',
          async () => {
            for await (const _ of client.stream('Flow.Echo', of({ n: 1 }, { n: 2 }))) break;
          },
        ],
      ];
      for (const [why, end] of ends) {
        await end();
        expect({ why, inFlight: inFlight() + inFlight('nowhere') }).toEqual({ why, inFlight: 0 });
      }
      // cancelled before the server said a word (and before a node was even chosen)
      const sub = client.stream('Flow.Quiet', NEVER).subscribe({ error: () => undefined });
      expect(inFlight()).toBe(1);
      sub.unsubscribe();
      expect(inFlight()).toBe(0);
    });
  });
});
