/**
 * Tracing with the real OpenTelemetry SDK (in-memory exporter): a caller → front → greeter chain
 * over the default transport is one trace with the right parent links; Nest guards and interceptors
 * run inside the SERVER span (their own spans are its children); retries show one attempt span each;
 * a failure carries its MicroError code; a breaker's state is on the call span; with no SDK
 * registered nothing is recorded.
 */
import 'reflect-metadata';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import {
  Controller,
  Inject,
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
  type DynamicModule,
  type Type,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { lastValueFrom, of, toArray, type Observable } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { createTransport } from '../../lib/core/transport/index.js';
import { Handler, MicroClient, MicroError, MicroModule } from '../../lib/index.js';
import { closePair, startPair, type AppPair } from '../support/apps.js';
import { waitFor } from '../support/processes.js';
import { GreeterController } from './greeter.fixture.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

function registerSdk(): void {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}

function unregisterSdk(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

/** Records the span active when Nest runs it (it should be the SERVER span), and makes one of its own. */
@Injectable()
class SpanSeenGuard implements CanActivate {
  static seen: string | undefined;
  canActivate(): boolean {
    SpanSeenGuard.seen = trace.getActiveSpan()?.spanContext().spanId;
    trace.getTracer('user').startSpan('user.guard').end();
    return true;
  }
}

/** A user span made in a Nest interceptor, around the handler: a child of the SERVER span. */
@Injectable()
class UserSpanInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    trace.getTracer('user').startSpan('user.interceptor').end();
    return next.handle();
  }
}

@Controller()
class FrontController {
  constructor(@Inject('GREETER') private readonly greeter: MicroClient) {}

  @Handler('Front.Relay')
  @UseGuards(SpanSeenGuard)
  @UseInterceptors(UserSpanInterceptor)
  relay(@Payload() request: { name: string }): Promise<unknown> {
    return this.greeter.call('greeter', 'Greeter.Hello', request);
  }

  @Handler('Front.Echo', { stream: true })
  echo(@Payload() requests: Observable<{ n: number }>): Observable<{ n: number }> {
    return requests;
  }
}

/** The three apps' modules over one transport, with their own registry and broker. */
function modules(transport: 'tcp' | 'http'): Record<'greeter' | 'front' | 'caller', Type<unknown>> {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();
  const root = (name: string, address?: string): DynamicModule =>
    MicroModule.forRoot({
      name,
      address,
      registry,
      broker,
      env: false,
      transport: createTransport(transport),
    });

  @Module({ imports: [root('greeter', '127.0.0.1:0')], controllers: [GreeterController] })
  class GreeterModule {}

  @Module({
    imports: [
      root('front', '127.0.0.1:0'),
      MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
    ],
    controllers: [FrontController],
  })
  class FrontModule {}

  @Module({
    imports: [
      root('caller'),
      MicroModule.registerClients([
        { name: 'FRONT', service: 'front' },
        { name: 'GREETER', service: 'greeter' },
      ]),
    ],
  })
  class CallerModule {}

  return { greeter: GreeterModule, front: FrontModule, caller: CallerModule };
}

const named = (spans: ReadableSpan[], name: string, kind: SpanKind): ReadableSpan[] =>
  spans.filter((s) => s.name === name && s.kind === kind);
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe.each(['tcp', 'http'] as const)('tracing (OpenTelemetry SDK) over the %s transport', (transport) => {
  let greeter: AppPair;
  let front: AppPair;

  beforeAll(async () => {
    registerSdk();
    const m = modules(transport);
    greeter = await startPair(m.greeter, m.caller);
    front = await startPair(m.front, m.caller);
  });

  afterAll(async () => {
    await closePair(front);
    await closePair(greeter);
    unregisterSdk();
  });

  beforeEach(() => exporter.reset());

  it('a call through two services is one trace: call → attempt → server → call → attempt → server', async () => {
    const client = front.caller.get<MicroClient>('FRONT');
    await expect(client.call('front', 'Front.Relay', { name: 'Ada' })).resolves.toEqual({ msg: 'Hello Ada' });
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const outer = named(spans, 'front.Front.Relay', SpanKind.CLIENT);
    const call = outer.find((s) => parentOf(s) === undefined)!;
    const attempt = outer.find((s) => parentOf(s) === call.spanContext().spanId)!;
    const [frontServer] = named(spans, 'front.Front.Relay', SpanKind.SERVER);
    const inner = named(spans, 'greeter.Greeter.Hello', SpanKind.CLIENT);
    const [greeterServer] = named(spans, 'greeter.Greeter.Hello', SpanKind.SERVER);
    expect(spans).toHaveLength(8);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(parentOf(call)).toBeUndefined();
    expect(parentOf(attempt)).toBe(call.spanContext().spanId);
    expect(parentOf(frontServer)).toBe(attempt.spanContext().spanId);
    expect(SpanSeenGuard.seen).toBe(frontServer.spanContext().spanId); // Nest's guard ran inside it
    // spans a guard and an interceptor start are children of the SERVER span
    for (const name of ['user.guard', 'user.interceptor']) {
      const [user] = named(spans, name, SpanKind.INTERNAL);
      expect(parentOf(user!)).toBe(frontServer.spanContext().spanId);
    }
    const innerCall = inner.find((s) => parentOf(s) === frontServer.spanContext().spanId)!;
    const innerAttempt = inner.find((s) => parentOf(s) === innerCall.spanContext().spanId)!;
    expect(parentOf(greeterServer)).toBe(innerAttempt.spanContext().spanId);
    expect(call.attributes).toMatchObject({
      'rpc.system.name': 'go-micro',
      'rpc.method': 'front.Front.Relay',
    });
    const [host, port] = front.address.split(':');
    expect(attempt.attributes).toMatchObject({
      'server.address': host,
      'server.port': Number(port),
      'micro.attempt': 1,
    });
    expect(spans.every((s) => s.status.code !== SpanStatusCode.ERROR)).toBe(true);
  });

  it('a retried call shows one attempt span per attempt', async () => {
    const client = greeter.caller.get<MicroClient>('GREETER').with({
      retries: 1,
      attemptWrappers: [
        (next) => (r) =>
          r.attempt === 0 ? Promise.reject(MicroError.unavailable('test', 'first attempt lost')) : next(r),
      ],
    });
    await expect(client.call('greeter', 'Greeter.Hello', { name: 'Bo' })).resolves.toEqual({
      msg: 'Hello Bo',
    });
    await provider.forceFlush();
    const clientSpans = named(exporter.getFinishedSpans(), 'greeter.Greeter.Hello', SpanKind.CLIENT);
    const call = clientSpans.find((s) => parentOf(s) === undefined)!;
    const attempts = clientSpans.filter((s) => parentOf(s) === call.spanContext().spanId);
    expect(attempts.map((s) => s.attributes['micro.attempt']).toSorted()).toEqual([1, 2]);
    const first = attempts.find((s) => s.attributes['micro.attempt'] === 1)!;
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(first.attributes['error.type']).toBe('503');
    expect(call.attributes['micro.retries']).toBe(1);
    expect(call.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it("a call through a circuit breaker records the breaker's state on its span", async () => {
    const lost: Parameters<MicroClient['with']>[0]['attemptWrappers'] = [
      () => () => Promise.reject(MicroError.unavailable('test', 'node lost')),
    ];
    const breaker = { consecutive: 1, halfOpenAfter: 60_000 };
    const client = greeter.caller.get<MicroClient>('GREETER');
    const guarded = client.with({ breaker, retries: 0 });
    // closed: admitted; this failure opens it; the next call is refused without an attempt
    await expect(
      guarded.with({ attemptWrappers: lost }).call('greeter', 'Greeter.Hello', {}),
    ).rejects.toMatchObject({
      code: 503,
    });
    await expect(guarded.call('greeter', 'Greeter.Hello', { name: 'Ed' })).rejects.toMatchObject({
      id: 'go.micro.client.breaker',
    });
    await provider.forceFlush();
    const calls = named(exporter.getFinishedSpans(), 'greeter.Greeter.Hello', SpanKind.CLIENT).filter(
      (s) => parentOf(s) === undefined,
    );
    expect(calls.map((s) => s.attributes['micro.breaker.state'])).toEqual(['closed', 'open']);
    expect(calls[1]!.attributes).toMatchObject({ 'rpc.status_code': '503', 'error.type': '503' });
  });

  it('a failing call records the MicroError code and status ERROR on client and server', async () => {
    const client = greeter.caller.get<MicroClient>('GREETER');
    await expect(client.call('greeter', 'Greeter.Fail', {})).rejects.toMatchObject({ code: 409 });
    await provider.forceFlush();
    const spans = named(exporter.getFinishedSpans(), 'greeter.Greeter.Fail', SpanKind.CLIENT).concat(
      named(exporter.getFinishedSpans(), 'greeter.Greeter.Fail', SpanKind.SERVER),
    );
    expect(spans).toHaveLength(3);
    for (const span of spans) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'name already taken' });
      expect(span.attributes).toMatchObject({ 'rpc.status_code': '409', 'error.type': '409' });
    }
  });

  it('a stream is one CLIENT span and one SERVER span, its child, for the life of the stream', async () => {
    const client = front.caller.get<MicroClient>('FRONT');
    const replies = await lastValueFrom(
      client.stream('front', 'Front.Echo', of({ n: 1 }, { n: 2 })).pipe(toArray()),
    );
    expect(replies).toEqual([{ n: 1 }, { n: 2 }]);
    await waitFor(() => exporter.getFinishedSpans().length >= 2);
    const spans = exporter.getFinishedSpans();
    const [clientSpan] = named(spans, 'front.Front.Echo', SpanKind.CLIENT);
    const [serverSpan] = named(spans, 'front.Front.Echo', SpanKind.SERVER);
    expect(parentOf(serverSpan)).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.attributes['server.port']).toBe(Number(front.address.split(':')[1]));
  });

  it('a publish is a PRODUCER span; its delivery a CONSUMER span, child of and linked to it', async () => {
    const client = greeter.caller.get<MicroClient>('GREETER');
    await client.publish('greetings', { name: 'Di' });
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER));
    const spans = exporter.getFinishedSpans();
    const [producer] = named(spans, 'Pub to greetings', SpanKind.PRODUCER);
    const [consumer] = named(spans, 'Sub from greetings', SpanKind.CONSUMER);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(consumer.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'memory',
      'messaging.destination.name': 'greetings',
      'messaging.operation.type': 'send',
    });
    expect(consumer.attributes).toMatchObject({ 'messaging.operation.type': 'process' });
  });

  it('records nothing and still answers when no SDK is registered', async () => {
    unregisterSdk();
    try {
      const client = front.caller.get<MicroClient>('FRONT');
      await expect(client.call('front', 'Front.Relay', { name: 'Cy' })).resolves.toEqual({ msg: 'Hello Cy' });
      await provider.forceFlush();
      expect(exporter.getFinishedSpans()).toHaveLength(0);
    } finally {
      registerSdk();
    }
  });
});
