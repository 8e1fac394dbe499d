/** The sample greeter: `Greeter.Hello` → {"msg":"Hello <name>"}, plus a subscriber that logs greetings. */
import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Handler, MicroContext, Subscriber } from '../lib/index.js';

export class HelloRequest {
  name!: string;
}

export class HelloResponse {
  msg!: string;
}

@Controller()
export class GreeterController {
  private readonly logger = new Logger('Greeter');

  @Handler('Greeter.Hello', { response: HelloResponse })
  hello(@Payload() request: HelloRequest, @Ctx() ctx: MicroContext): HelloResponse {
    this.logger.log(`Hello from ${ctx.getRemote()}`);
    return { msg: `Hello ${request.name}` };
  }

  @Subscriber('greeter.greeted')
  greeted(@Payload() event: { name: string }): void {
    this.logger.log(`${event.name} was greeted`);
  }
}
