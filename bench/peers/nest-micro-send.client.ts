/**
 * Peer: a MicroClient used the way Nest users use a ClientProxy — injected into a provider
 * (MicroModule.registerClients) and called with `firstValueFrom(client.send('Greeter.Hello', data))`,
 * on MicroModule's defaults: mDNS registry (MICRO_REGISTRY_ADDRESS 127.0.0.1, set by the harness)
 * behind its cache, the tcp transport, JSON, the HTTP broker (never connected: nothing is published).
 * bench/peers/nest-micro.client.ts is the same path through the promise API, `client.call(...)`.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { MicroModule } from 'nest-micro';
import { isHello, REQUEST, runClient, untilAnswered } from '../load.js';

@Injectable()
class Greeter {
  constructor(@Inject('GREETER') private readonly client: ClientProxy) {}

  hello(request: { name: string }): Promise<{ msg: string }> {
    return firstValueFrom(this.client.send<{ msg: string }>('Greeter.Hello', request));
  }
}

@Module({
  imports: [
    MicroModule.forRoot({ name: 'bench-client' }),
    MicroModule.registerClients([{ name: 'GREETER', service: process.env.BENCH_SERVICE ?? 'bench-greeter' }]),
  ],
  providers: [Greeter],
})
class ClientModule {}

const app = await NestFactory.createApplicationContext(ClientModule, { logger: false });
const greeter = app.get(Greeter);
await untilAnswered(() => greeter.hello(REQUEST));
await runClient(() => greeter.hello(REQUEST), isHello);
await app.close();
process.exit(0);
