/** A greeter service used by the e2e tests: handlers that succeed, fail in typed ways, and read metadata. */
import {
  CallHandler,
  Controller,
  ExecutionContext,
  Injectable,
  NotFoundException,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type NestInterceptor,
} from '@nestjs/common';
import { Ctx, Payload, RpcException } from '@nestjs/microservices';
import { map, type Observable } from 'rxjs';
import { Handler, MicroContext, MicroError, Subscriber } from '../../lib/index.js';

export class HelloRequest {
  name!: string;
}

@Injectable()
export class RequireUserGuard implements CanActivate {
  static calls = 0;
  canActivate(context: ExecutionContext): boolean {
    RequireUserGuard.calls++;
    return context.switchToRpc().getContext<MicroContext>().get('x-user') !== undefined;
  }
}

@Injectable()
export class ShoutInterceptor implements NestInterceptor {
  static calls = 0;
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    ShoutInterceptor.calls++;
    return next.handle().pipe(map((reply: { msg: string }) => ({ msg: reply.msg.toUpperCase() })));
  }
}

export const received: unknown[] = [];

@Controller()
export class GreeterController {
  @Handler()
  hello(@Payload() request: HelloRequest): { msg: string } {
    return { msg: `Hello ${request.name}` };
  }

  @Handler('Greeter.Fail')
  fail(): never {
    throw MicroError.conflict('greeter.fail', 'name already taken');
  }

  @Handler('Greeter.Crash')
  async crash(): Promise<never> {
    throw new Error('database exploded');
  }

  @Handler('Greeter.Missing')
  missing(): never {
    throw new NotFoundException('no such greeting');
  }

  @Handler('Greeter.Rpc')
  rpc(): never {
    throw new RpcException({ code: 401, detail: 'token expired', id: 'auth' });
  }

  @Handler('Greeter.Whoami')
  whoami(@Payload() _data: unknown, @Ctx() ctx: MicroContext): Record<string, unknown> {
    return {
      user: ctx.get('X-User'),
      remote: ctx.getRemote(),
      endpoint: ctx.getEndpoint(),
      hasDeadline: ctx.getDeadline() !== undefined,
    };
  }

  @Handler('Greeter.Guarded')
  @UseGuards(RequireUserGuard)
  @UseInterceptors(ShoutInterceptor)
  guarded(@Payload() request: HelloRequest): { msg: string } {
    return { msg: `hello ${request.name}` };
  }

  @Subscriber('greetings')
  onGreeting(@Payload() event: unknown): void {
    received.push(event);
  }
}
