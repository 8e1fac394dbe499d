/**
 * nest-micro/testing end to end: a Nest service and a Nest client on MicroTestingModule talk through
 * the memory registry, broker and transport — a call, a stream, a MicroError and an event — while
 * any attempt to listen on or connect a socket fails the test.
 */
import 'reflect-metadata';
import net from 'node:net';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import { firstValueFrom, lastValueFrom, map, Observable, of, range, switchMap, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Handler,
  MicroClient,
  MicroError,
  MicroModule,
  MicroServer,
  Subscriber,
} from '../../../lib/index.js';
import { MicroTestingModule, MicroTestNetwork } from '../../../lib/testing/index.js';

const events: unknown[] = [];

@Controller()
class GreeterController {
  @Handler('Greeter.Hello')
  hello(@Payload() request: { name: string }): { msg: string } {
    return { msg: `Hello ${request.name}` };
  }

  @Handler('Greeter.Missing')
  missing(): never {
    throw MicroError.notFound('greeter', 'no such greeting');
  }

  @Handler('Greeter.Count', { stream: true })
  count(@Payload() requests: Observable<{ count: number }>): Observable<{ n: number }> {
    return requests.pipe(
      take(1),
      switchMap((r) => range(0, r.count).pipe(map((n) => ({ n })))),
    );
  }

  @Subscriber('greetings')
  greeted(@Payload() event: unknown): void {
    events.push(event);
  }
}

const network = new MicroTestNetwork();
const sockets = {
  listen: vi.spyOn(net.Server.prototype, 'listen'),
  connect: vi.spyOn(net.Socket.prototype, 'connect'),
};
let service: INestMicroservice;
let caller: TestingModule;
let greeter: MicroClient;

beforeAll(async () => {
  const serviceRef = await Test.createTestingModule({
    imports: [MicroTestingModule.forRoot({ name: 'greeter' }, network)],
    controllers: [GreeterController],
  }).compile();
  service = serviceRef.createNestMicroservice({ ...MicroServer.fromModule(), logger: false });
  await service.listen();
  caller = await Test.createTestingModule({
    imports: [
      MicroTestingModule.forRoot({}, network),
      MicroModule.registerClients([{ name: 'GREETER', service: 'greeter', options: { timeout: 2_000 } }]),
    ],
  }).compile();
  caller.useLogger(false);
  await caller.init();
  greeter = caller.get<MicroClient>('GREETER');
});

afterAll(async () => {
  await caller?.close();
  await service?.close();
});

describe('MicroTestingModule', () => {
  it('registers the service in the network and listens on the memory transport', async () => {
    const [registered] = await network.registry.getService('greeter');
    expect(registered?.nodes[0]?.metadata.transport).toBe('memory');
  });

  it('answers a call', async () => {
    expect(await firstValueFrom(greeter.send('Greeter.Hello', { name: 'John' }))).toEqual({
      msg: 'Hello John',
    });
  });

  it('streams replies', async () => {
    const replies = await lastValueFrom(greeter.stream('Greeter.Count', of({ count: 3 })).pipe(toArray()));
    expect(replies).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  it('carries a MicroError to the caller', async () => {
    const error = await greeter.call('greeter', 'Greeter.Missing', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ id: 'greeter', code: 404, detail: 'no such greeting' });
  });

  it('delivers an event through the memory broker', async () => {
    await greeter.publish('greetings', { hi: 1 });
    await vi.waitFor(() => expect(events).toEqual([{ hi: 1 }]));
  });

  it('keeps the service subscribed and registered when another app of the network closes', async () => {
    const other = await Test.createTestingModule({
      imports: [MicroTestingModule.forRoot({}, network)],
    }).compile();
    other.useLogger(false);
    await other.init();
    await other.close();
    await greeter.publish('greetings', { hi: 2 });
    await vi.waitFor(() => expect(events).toEqual([{ hi: 1 }, { hi: 2 }]));
    expect(await firstValueFrom(greeter.send('Greeter.Hello', { name: 'Jane' }))).toEqual({
      msg: 'Hello Jane',
    });
  });

  it('opens no socket', () => {
    expect(sockets.listen).not.toHaveBeenCalled();
    expect(sockets.connect).not.toHaveBeenCalled();
  });
});
