/**
 * A Nest service for the gateway tests (`gw-greeter`): a validated request DTO, a typed failure, a
 * slow handler (timeouts), an endpoint that reports the metadata and deadline it got, one that
 * declares `scopes`, a server stream, and a subscriber that records what it received;
 * `startGatewayGreeter`, which serves it as a Nest microservice registered in a given registry, and
 * `registerGhost`, a service whose only node does not answer.
 */
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, IsOptional, IsString } from 'class-validator';
import { finalize, firstValueFrom, interval, map, Observable, range, reduce } from 'rxjs';
import { Test } from '@nestjs/testing';
import type { Registry, Service } from '../../../lib/core/registry/index.js';
import { freePort } from '../../support/ports.js';
import {
  Handler,
  MicroContext,
  MicroError,
  MicroModule,
  MicroServer,
  Subscriber,
} from '../../../lib/index.js';

export class HelloRequest {
  @IsString()
  name!: string;

  @IsOptional()
  @IsInt()
  age?: number;
}

export class HelloResponse {
  @IsString()
  msg!: string;
}

export class CountRequest {
  @IsInt()
  n!: number;
}

export const published: unknown[] = [];
/** Streams of Greeter.Ticks that ended because the caller went away. */
export const ticks = { cancelled: 0 };

@Controller()
export class GatewayGreeter {
  @Handler('Greeter.Hello', {
    request: HelloRequest,
    response: HelloResponse,
    description: 'Says hello',
    example: { name: 'John' },
  })
  hello(@Payload() req: HelloRequest): HelloResponse {
    return { msg: `Hello ${req.name}${req.age === undefined ? '' : ` (${req.age})`}` };
  }

  @Handler('Greeter.Fail')
  fail(): never {
    throw MicroError.conflict('gw-greeter.fail', 'name already taken');
  }

  @Handler('Greeter.Sleep')
  async sleep(): Promise<{ ok: boolean }> {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    return { ok: true };
  }

  @Handler('Greeter.Meta')
  meta(@Payload() _req: unknown, @Ctx() ctx: MicroContext): Record<string, unknown> {
    return {
      user: ctx.get('x-user') ?? null,
      authorization: ctx.get('authorization') ?? null,
      hasDeadline: ctx.getDeadline() !== undefined,
      remaining: ctx.remaining(),
    };
  }

  @Handler('Greeter.Admin', { scopes: ['greeter.admin', 'ops'] })
  admin(): { ok: boolean } {
    return { ok: true };
  }

  @Handler('Greeter.Count', { stream: true, request: CountRequest })
  count(@Payload() requests: Observable<CountRequest>): Observable<{ i: number }> {
    return new Observable<{ i: number }>((subscriber) => {
      void firstValueFrom(requests).then(
        (req) =>
          range(1, req.n)
            .pipe(map((i) => ({ i })))
            .subscribe(subscriber),
        (error: unknown) => subscriber.error(error),
      );
    });
  }

  @Handler('Greeter.Ticks', { stream: true })
  ticks(): Observable<{ tick: number }> {
    return interval(20).pipe(
      map((tick) => ({ tick })),
      finalize(() => ticks.cancelled++),
    );
  }

  @Handler('Greeter.Sum', { stream: true })
  sum(@Payload() requests: Observable<{ n: number }>): Observable<{ total: number }> {
    return requests.pipe(
      reduce((total, r) => total + r.n, 0),
      map((total) => ({ total })),
    );
  }

  @Subscriber('gw.events')
  onEvent(@Payload() event: unknown): void {
    published.push(event);
  }
}

/** `gw-greeter` as a Nest microservice on 127.0.0.1, registered in `registry`, listening. */
export async function startGatewayGreeter(registry: Registry): Promise<INestMicroservice> {
  @Module({
    imports: [MicroModule.forRoot({ name: 'gw-greeter', address: '127.0.0.1:0', registry, env: false })],
    controllers: [GatewayGreeter],
  })
  class ServiceModule {}
  const service = (
    await Test.createTestingModule({ imports: [ServiceModule] }).compile()
  ).createNestMicroservice({
    ...MicroServer.fromModule(),
    logger: ['error'],
  });
  await service.listen();
  return service;
}

/** Registers `gw-ghost`: a service the registry lists whose only node is not listening. */
export async function registerGhost(registry: Registry): Promise<Service> {
  const ghost: Service = {
    name: 'gw-ghost',
    version: 'latest',
    metadata: {},
    endpoints: [{ name: 'Ghost.Call', metadata: {} }],
    nodes: [{ id: 'gw-ghost-1', address: `127.0.0.1:${await freePort()}`, metadata: { transport: 'tcp' } }],
  };
  await registry.register(ghost, { ttl: 60_000 });
  return ghost;
}
