/** Peer: Nest 12's own TCP transport (@nestjs/microservices Transport.TCP), a @MessagePattern echo. */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, Transport } from '@nestjs/microservices';

@Controller()
class GreeterController {
  @MessagePattern('Greeter.Hello')
  hello(@Payload() req: { name: string }): { msg: string } {
    return { msg: `Hello ${req.name}` };
  }
}

@Module({ controllers: [GreeterController] })
class GreeterModule {}

const app = await NestFactory.createMicroservice(GreeterModule, {
  transport: Transport.TCP,
  options: { host: '127.0.0.1', port: Number(process.env.BENCH_PORT) },
  logger: false,
});
await app.listen();
console.log('READY');
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
