/**
 * Peer: a nest-micro service as users write it — a Nest microservice with MicroModule and a
 * @Handler (its protobuf types declared, so JSON and protobuf callers are both served), announced
 * over mDNS on 127.0.0.1 as BENCH_SERVICE, on the BENCH_TRANSPORT transport (tcp | http | nats);
 * BENCH_TRACING sets up OpenTelemetry (./tracing.ts).
 */
import 'reflect-metadata';
import './tracing.js'; // BENCH_TRACING: plain, API without SDK, or SDK (bench:tracing)
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { createBroker } from 'nest-micro/broker';
import { createRegistry } from 'nest-micro/registry';
import { createTransport } from 'nest-micro/transport';
import { Handler, MicroModule, MicroServer } from 'nest-micro';
import { GreeterProto } from './greeter.proto.js';

@Controller()
class GreeterController {
  @Handler('Greeter.Hello', { protobuf: GreeterProto })
  hello(@Payload() req: { name: string }): { msg: string } {
    return { msg: `Hello ${req.name}` };
  }
}

const registry = createRegistry('mdns', '127.0.0.1');

@Module({
  imports: [
    MicroModule.forRoot({
      name: process.env.BENCH_SERVICE ?? 'bench-greeter',
      address: `127.0.0.1:${process.env.BENCH_PORT ?? 0}`,
      registry,
      broker: createBroker('memory', undefined, registry),
      transport: createTransport(process.env.BENCH_TRANSPORT ?? 'tcp', process.env.MICRO_TRANSPORT_ADDRESS),
      propagationDelay: 0,
      env: false,
    }),
  ],
  controllers: [GreeterController],
})
class GreeterModule {}

const app = await NestFactory.createMicroservice(GreeterModule, {
  ...MicroServer.fromModule(),
  logger: false,
});
await app.listen();
console.log(`READY ${app.get(MicroServer).address}`);
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
