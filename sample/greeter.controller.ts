/**
 * The sample greeter: `Greeter.Hello` → {"msg":"Hello <name>"}, `Greeter.Stream` (a bidirectional
 * stream: one greeting per name sent), plus a subscriber that logs greetings.
 * Callable in JSON and in protobuf alike: its protobuf types come from sample/proto/greeter.proto.
 */
import { fileURLToPath } from 'node:url';
import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { map, type Observable } from 'rxjs';
import { Handler, MicroContext, Subscriber } from 'nest-micro';
import { loadProtoSync, protoType } from 'nest-micro/codec';

const proto = loadProtoSync(fileURLToPath(new URL('./proto/greeter.proto', import.meta.url)));
/** greeter.Request / greeter.Response, for callers in application/protobuf or application/proto-rpc. */
export const GreeterProto = {
  request: protoType(proto, 'greeter.Request'),
  response: protoType(proto, 'greeter.Response'),
};

export class HelloRequest {
  name!: string;
}

export class HelloResponse {
  msg!: string;
}

@Controller()
export class GreeterController {
  private readonly logger = new Logger('Greeter');

  @Handler('Greeter.Hello', { response: HelloResponse, protobuf: GreeterProto })
  hello(@Payload() request: HelloRequest, @Ctx() ctx: MicroContext): HelloResponse {
    this.logger.log(`Hello from ${ctx.getRemote()}`);
    return { msg: `Hello ${request.name}` };
  }

  /** A stream: every name the caller sends is greeted back as it arrives. */
  @Handler('Greeter.Stream', { stream: true, request: HelloRequest, response: HelloResponse })
  stream(@Payload() names: Observable<HelloRequest>): Observable<HelloResponse> {
    return names.pipe(map((request) => ({ msg: `Hello ${request.name}` })));
  }

  @Subscriber('greeter.greeted')
  greeted(@Payload() event: { name: string }): void {
    this.logger.log(`${event.name} was greeted`);
  }
}
