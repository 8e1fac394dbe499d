// @Handler and @Subscriber find the payload's class: the @Payload() parameter's type wherever it
// stands (read through where Nest's public @Payload() records it), else the first parameter's.
import 'reflect-metadata';
import { Ctx, Payload } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { payloadType } from '../../../lib/nest/decorators/handler-meta.js';
import { Handler } from '../../../lib/nest/decorators/handler.decorator.js';
import { Subscriber } from '../../../lib/nest/decorators/subscriber.decorator.js';

class HelloRequest {
  name!: string;
}
class Context {
  service!: string;
}

class GreeterController {
  @Handler()
  second(@Ctx() _ctx: Context, @Payload() _request: HelloRequest): void {}

  @Handler()
  first(_request: HelloRequest, _ctx: Context): void {}

  @Handler()
  untyped(_request: object): void {}

  @Subscriber('greeted')
  onGreeted(@Ctx() _ctx: Context, @Payload('name') _name: string): void {}
}

const requestType = (method: keyof GreeterController): Function | undefined =>
  payloadType(GreeterController.prototype, method);

describe('payloadType', () => {
  it("takes the @Payload() parameter's type, wherever it stands", () => {
    expect(requestType('second')).toBe(HelloRequest);
    expect(requestType('onGreeted')).toBe(String);
  });

  it("falls back to the first parameter's type, unless it is a bare Object", () => {
    expect(requestType('first')).toBe(HelloRequest);
    expect(requestType('untyped')).toBeUndefined();
  });
});
