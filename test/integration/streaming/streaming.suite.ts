/**
 * The streaming suite of issue 6, run once per transport: a Nest service with streaming handlers
 * and a caller app, found through a shared memory registry.
 */
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { from, lastValueFrom, Observable, range, map, toArray, take, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTransport, type Transport } from '../../../lib/core/transport/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroError, MicroModule } from '../../../lib/index.js';
import { closePair, startPair, type AppPair } from '../../support/apps.js';
import { waitFor } from '../../support/processes.js';
import { ChatController, stats, TagInterceptor } from './chat.fixture.js';

interface N {
  n: number;
}

/** Lets pending I/O and timers run a few times (no assertion depends on how long). */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((r) => setTimeout(r, 2));
}

/** `{n: 0}` … `{n: count - 1}`, from an async generator. */
async function* requests(count: number): AsyncGenerator<N> {
  for (let n = 0; n < count; n++) yield { n };
}

/**
 * `make` builds each app's transport (default: by name). Every transport holds a producer back:
 * tcp and NATS (between nest-micro nodes: nats.flow.ts) by a 64 KiB credit window, http by its
 * connection's socket buffers.
 */
export function streamingSuite(
  transport: 'http' | 'tcp' | 'nats',
  make: () => Transport = () => createTransport(transport),
): void {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'chat',
        address: '127.0.0.1:0',
        registry,
        broker,
        env: false,
        transport: make(),
      }),
    ],
    controllers: [ChatController],
    providers: [TagInterceptor],
  })
  class ChatModule {}

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'caller',
        registry,
        broker,
        env: false,
        transport: make(),
      }),
      MicroModule.registerClients([{ name: 'CHAT', service: 'chat' }]),
    ],
  })
  class CallerModule {}

  let caller: INestApplication;
  let client: MicroClient;

  let pair: AppPair | undefined;

  beforeAll(async () => {
    pair = await startPair(ChatModule, CallerModule);
    caller = pair.caller;
    client = pair.caller.get<MicroClient>('CHAT');
  });

  afterAll(() => closePair(pair));

  beforeEach(() => stats.reset());

  describe(`streams over the ${transport} transport`, () => {
    it('marks streaming endpoints {"stream":"true"} in the registry', async () => {
      const [svc] = await registry.getService('chat');
      const echo = svc!.endpoints.find((e) => e.name === 'Chat.Echo')!;
      expect(echo.metadata).toEqual({ stream: 'true' });
      expect(echo.request).toBeUndefined();
      expect(svc!.endpoints.find((e) => e.name === 'Chat.Unary')!.metadata).toEqual({});
      expect(svc!.nodes[0]!.metadata.transport).toBe(transport);
    });

    it('carries 10,000 messages each way on one stream, in order', async () => {
      const replies = await lastValueFrom(
        client.stream<N>('Chat.Echo', range(0, 10_000).pipe(map((n) => ({ n })))).pipe(toArray()),
      );
      expect(replies).toHaveLength(10_000);
      expect(replies.every((r, i) => r.n === i)).toBe(true);
    });

    it('serves server streaming and client streaming with the same shape', async () => {
      const counted = await lastValueFrom(
        client.stream<N>('Chat.Count', from([{ count: 5 }])).pipe(toArray()),
      );
      expect(counted.map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
      const sum = await lastValueFrom(
        client.stream<{ total: number; count: number }>('Chat.Sum', range(1, 100).pipe(map((n) => ({ n })))),
      );
      expect(sum).toEqual({ total: 5050, count: 100 });
    });

    it('takes requests from an async generator and streams to an unbound client by {service, endpoint}', async () => {
      const unbound = caller.get(MicroClient);
      const replies = await lastValueFrom(
        unbound.stream<N>({ service: 'chat', endpoint: 'Chat.Echo' }, requests(300)).pipe(toArray()),
      );
      expect(replies.map((r) => r.n)).toEqual([...Array(300).keys()]);
      const viaName = await lastValueFrom(unbound.stream<N>('chat', 'Chat.Echo', from([{ n: 7 }]), {}));
      expect(viaName).toEqual({ n: 7 });
    });

    it('runs 100 concurrent streams', async () => {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, s) =>
          lastValueFrom(
            client
              .stream<N>('Chat.Echo', range(0, 50).pipe(map((n) => ({ n: s * 1000 + n }))))
              .pipe(toArray()),
          ),
        ),
      );
      results.forEach((replies, s) =>
        expect(replies.map((r) => r.n)).toEqual([...Array(50).keys()].map((n) => s * 1000 + n)),
      );
    });

    it('cancels end to end when the client unsubscribes: the producer stops, the input ends', async () => {
      const first = await firstValueFrom(
        client.stream<N>('Chat.Ticker', new Observable<N>(() => undefined)).pipe(take(5), toArray()),
      );
      expect(first.map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
      await waitFor(() => stats.stopped, 5_000);
      expect(stats.inputEnded).toBe('error');
      const produced = stats.produced;
      await turns(20);
      expect(stats.produced).toBe(produced);
    });

    it('delivers a server error after exactly the 50 messages before it, as a MicroError', async () => {
      const seen: number[] = [];
      const error = await lastValueFrom(
        client.stream<N>('Chat.FailAfter', from([{}])).pipe(map((r) => seen.push(r.n))),
      ).catch((e: unknown) => e);
      expect(seen).toEqual([...Array(50).keys()]);
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ id: 'chat.fail', code: 409, detail: 'failed after 50' });
    });

    it('keeps a fast producer within the window of a slow consumer (pull by for await)', async () => {
      let consumed = 0;
      let most = 0;
      for await (const reply of client.stream<N>('Chat.Generate', from([{}]))) {
        expect(reply.n).toBe(consumed);
        consumed++;
        most = Math.max(most, stats.produced - consumed);
        if (consumed === 3_000) break;
        if (consumed % 100 === 0) await turns(1);
      }
      // tcp: each reply costs ≥ 50 bytes of the 64 KiB window (body + content-type + micro-id), and
      // on NATS ≥ 64 (body + a fixed 64), so the producer can never be more than 64 KiB / 50
      // messages ahead; http (no window, go-micro's framing) is held back by the connection's
      // socket buffers instead
      expect(most).toBeLessThan(transport === 'http' ? 100_000 : (64 * 1024) / 50);
      await waitFor(() => stats.stopped, 5_000);
    });

    it('stops an async-generator producer while the consumer stalls', async () => {
      const iterator = client.stream<N>('Chat.Generate', from([{}]))[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual({ n: 0 });
      let last = -1;
      await waitFor(async () => {
        const now = stats.produced;
        await turns(5);
        const still = now === last && now === stats.produced;
        last = now;
        return still;
      }, 10_000);
      const held = stats.produced;
      await turns(10);
      expect(stats.produced).toBe(held);
      await iterator.return!();
      await waitFor(() => stats.stopped, 5_000);
    });

    it('fails an Observable producer that outruns a stalled consumer with a 503 instead of growing', async () => {
      const iterator = client.stream<N>('Chat.Flood', from([{}]))[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual({ n: 0 });
      await waitFor(() => stats.stopped, 10_000); // the server gave up on the stalled stream
      let error: unknown;
      try {
        for (;;) if ((await iterator.next()).done) break;
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ code: 503 });
    });

    it('runs streams through the Nest pipeline: interceptors and metadata apply', async () => {
      const before = TagInterceptor.calls;
      const replies = await lastValueFrom(
        client
          .with({ metadata: { 'x-user': 'ann' } })
          .stream<N>('Chat.Tagged', range(0, 3).pipe(map((n) => ({ n }))))
          .pipe(toArray()),
      );
      expect(replies).toEqual([0, 1, 2].map((n) => ({ n, user: 'ann', tagged: true })));
      expect(TagInterceptor.calls).toBe(before + 1);
    });

    it('fails streams to unknown or unary endpoints with typed errors', async () => {
      const unknown = await lastValueFrom(client.stream('Chat.Nope', from([{}]))).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: 404 });
      const unary = await lastValueFrom(client.stream('Chat.Unary', from([{}]))).catch((e: unknown) => e);
      expect(unary).toMatchObject({ code: 400 });
      expect(unary).toBeInstanceOf(MicroError);
    });

    it('ends a stream at its deadline with a 408', async () => {
      const error = await lastValueFrom(
        client.stream('Chat.Ticker', new Observable(() => undefined), { timeout: 200 }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({ code: 408 });
      await waitFor(() => stats.stopped, 5_000);
    });
  });
}
