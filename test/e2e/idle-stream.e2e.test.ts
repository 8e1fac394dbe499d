/**
 * A stream whose client opens it and goes silent, end to end on both transports with a short
 * stream idle timeout: the handler's input fails with a 408 MicroError, the client's stream fails
 * with a 408, and the handler's slot (`maxConcurrent: 1`) is free again for the next stream. A
 * stream whose messages keep flowing runs past the timeout. Only outcomes are asserted.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { firstValueFrom, interval, lastValueFrom, map, NEVER, take, toArray, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Handler, MicroClient, MicroError, MicroModule } from '../../lib/index.js';
import { HttpTransport, TcpTransport } from '../../lib/core/transport/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { closePair, startPair, type AppPair } from '../support/apps.js';

const IDLE = 150;
const inputErrors: unknown[] = [];

@Controller()
class IdleController {
  @Handler('Idle.Wait', { stream: true, maxConcurrent: 1 })
  wait(@Payload() requests: Observable<unknown>): Observable<unknown> {
    requests.subscribe({ error: (error: unknown) => inputErrors.push(error) });
    return NEVER;
  }

  @Handler('Idle.Echo', { stream: true })
  echo(@Payload() requests: Observable<{ n: number }>): Observable<{ n: number }> {
    return requests;
  }
}

const transports = {
  http: () => new HttpTransport({ httpTimeouts: { streamIdleTimeout: IDLE } }),
  tcp: () => new TcpTransport({ serverStreamIdleTimeout: IDLE }),
};

describe.each(['http', 'tcp'] as const)('idle streams over the %s transport', (name) => {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();
  let pair: AppPair | undefined;
  let client: MicroClient;

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'idle',
        address: '127.0.0.1:0',
        registry,
        broker,
        env: false,
        transport: transports[name](),
      }),
    ],
    controllers: [IdleController],
  })
  class IdleModule {}

  @Module({
    imports: [
      MicroModule.forRoot({ name: 'caller', registry, broker, env: false, transport: transports[name]() }),
      MicroModule.registerClients([{ name: 'IDLE', service: 'idle' }]),
    ],
  })
  class CallerModule {}

  beforeAll(async () => {
    pair = await startPair(IdleModule, CallerModule);
    client = pair.caller.get<MicroClient>('IDLE');
  });
  afterAll(() => closePair(pair));

  it('fails a silent stream with a 408 on both sides and frees its slot', async () => {
    inputErrors.length = 0;
    const silent = firstValueFrom(client.stream('Idle.Wait', NEVER)).catch((e: unknown) => e);
    const error = await silent;
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 408 });
    expect(inputErrors).toHaveLength(1);
    expect(inputErrors[0]).toBeInstanceOf(MicroError);
    expect(inputErrors[0]).toMatchObject({ code: 408 });
    // the slot is free: the next silent stream is admitted (and idles out) rather than shed with a 503
    const next = await firstValueFrom(client.stream('Idle.Wait', NEVER)).catch((e: unknown) => e);
    expect(next).toMatchObject({ code: 408 });
  });

  it('runs a stream whose messages keep flowing past the timeout', async () => {
    const requests = interval(IDLE / 4).pipe(
      take(12),
      map((n) => ({ n })),
    );
    const replies = await lastValueFrom(client.stream<{ n: number }>('Idle.Echo', requests).pipe(toArray()));
    expect(replies.map((r) => r.n)).toEqual(Array.from({ length: 12 }, (_, n) => n));
  });
});
