/**
 * Start-up fixture: the smallest nest-micro service — one @Handler, MicroModule on its defaults
 * (mDNS registry, the default transport, the HTTP broker; MICRO_REGISTRY_ADDRESS pins mDNS to
 * 127.0.0.1). Run compiled (dist/bench/startup/), it prints READY once listening and registered.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { Handler, MicroModule, MicroServer } from 'nest-micro';

@Controller()
class GreeterController {
  @Handler('Greeter.Hello')
  hello(@Payload() req: { name: string }): { msg: string } {
    return { msg: `Hello ${req.name}` };
  }
}

@Module({
  imports: [MicroModule.forRoot({ name: process.env.STARTUP_SERVICE ?? 'startup-greeter' })],
  controllers: [GreeterController],
})
class GreeterModule {}

const app = await NestFactory.createMicroservice(GreeterModule, {
  ...MicroServer.fromModule(),
  logger: false,
});
await app.listen();
console.log('READY');
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
