/** Start-up fixture: a Nest 12 TCP microservice (Transport.TCP) with one @MessagePattern; prints READY once listening. */
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
  options: { host: '127.0.0.1', port: Number(process.env.STARTUP_PORT ?? 0) },
  logger: false,
});
await app.listen();
console.log('READY');
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
