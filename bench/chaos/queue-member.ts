/**
 * A member of the chaos benchmark's Redis queue group: a Nest microservice whose `@Subscriber`
 * (queue "workers") takes events of CHAOS_TOPIC from the Redis broker (MICRO_BROKER=redis,
 * MICRO_BROKER_ADDRESS) and acknowledges each once its handler returned. Prints `ready`, then
 * `got <n>` per delivery (batched writes).
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { MicroModule, MicroServer, Subscriber } from 'nest-micro';

const topic = process.env.CHAOS_TOPIC ?? 'chaos.events';
let lines = '';
setInterval(() => {
  if (lines) process.stdout.write(lines);
  lines = '';
}, 20);

@Controller()
class MemberController {
  @Subscriber(topic, { queue: 'workers' })
  handle(@Payload() event: { n: number }): void {
    lines += `got ${event.n}\n`;
  }
}

@Module({
  imports: [MicroModule.forRoot({ name: 'chaos-queue', address: '127.0.0.1:0' })],
  controllers: [MemberController],
})
class MemberModule {}

const app = await NestFactory.createMicroservice(MemberModule, {
  ...MicroServer.fromModule(),
  logger: false,
});
app.enableShutdownHooks();
await app.listen();
process.stdout.write('ready\n');
