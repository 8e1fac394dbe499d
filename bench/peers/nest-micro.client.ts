/**
 * Peer: a MicroClient calling BENCH_SERVICE by name — mDNS registry on 127.0.0.1 behind the cache,
 * selector, codec (BENCH_CODEC json | protobuf), the transport the node advertises. With
 * BENCH_DIRECT=1 it calls 127.0.0.1:BENCH_PORT directly on BENCH_TRANSPORT (`address`, as
 * go-micro's client.WithAddress): for the go-micro service, which is on no shared registry.
 */
import 'reflect-metadata';
import './tracing.js'; // BENCH_TRACING: plain, API without SDK, or SDK (bench:tracing)
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createBroker } from 'nest-micro/broker';
import { createRegistry } from 'nest-micro/registry';
import { createTransport } from 'nest-micro/transport';
import { MicroClient, MicroModule } from 'nest-micro';
import { isHello, REQUEST, runClient, untilAnswered } from '../load.js';
import { GreeterProto } from './greeter.proto.js';

const service = process.env.BENCH_SERVICE ?? 'bench-greeter';
const registry = createRegistry('mdns', '127.0.0.1');

@Module({
  imports: [
    MicroModule.forRoot({
      name: 'bench-client',
      registry,
      broker: createBroker('memory', undefined, registry),
      transport: createTransport(process.env.BENCH_TRANSPORT ?? 'tcp', process.env.MICRO_TRANSPORT_ADDRESS),
      env: false,
    }),
    MicroModule.registerClients([{ name: 'GREETER', service }]),
  ],
})
class ClientModule {}

const app = await NestFactory.createApplicationContext(ClientModule, { logger: false });
const bound = app.get<MicroClient>('GREETER');
// protobuf: a client derived once with the codec and the message types, as an application would
const codec: MicroClient =
  process.env.BENCH_CODEC === 'protobuf'
    ? bound.with({ contentType: 'application/protobuf', protobuf: GreeterProto })
    : bound;
const greeter: MicroClient =
  process.env.BENCH_DIRECT === '1' ? codec.with({ address: `127.0.0.1:${process.env.BENCH_PORT}` }) : codec;

await untilAnswered(() => greeter.call(service, 'Greeter.Hello', REQUEST));
await runClient(() => greeter.call(service, 'Greeter.Hello', REQUEST), isHello);
await app.close();
process.exit(0);
