/**
 * Metrics with the real OpenTelemetry SDK registered globally (a MeterProvider read on demand): after
 * real calls between two Nest apps, the call-duration histograms, in-flight counters, retries, shed
 * calls, stream messages and pub/sub counters hold what happened; with no MeterProvider nothing is
 * recorded and calls still answer.
 */
import 'reflect-metadata';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type Histogram } from '@opentelemetry/sdk-metrics';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { lastValueFrom, of, toArray, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { createTransport } from '../../lib/core/transport/index.js';
import { activeMetrics } from '../../lib/core/metrics/index.js';
import { Handler, MicroClient, MicroError, MicroModule, Subscriber } from '../../lib/index.js';
import { closePair, startPair, type AppPair } from '../support/apps.js';
import { TestReader } from '../support/metrics.js';
import { waitFor } from '../support/processes.js';

const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });

let release: () => void = () => undefined;
const events: unknown[] = [];
const flaky: unknown[] = [];

@Controller()
class MeteredController {
  @Handler('Metered.Hello')
  hello(@Payload() request: { name: string }): { msg: string } {
    return { msg: `Hello ${request.name}` };
  }

  @Handler('Metered.Fail')
  fail(): never {
    throw MicroError.conflict('metered', 'name already taken');
  }

  @Handler('Metered.Busy', { maxConcurrent: 1 })
  async busy(): Promise<{ ok: boolean }> {
    await new Promise<void>((resolve) => (release = resolve));
    return { ok: true };
  }

  @Handler('Metered.Echo', { stream: true })
  echo(@Payload() requests: Observable<{ n: number }>): Observable<{ n: number }> {
    return requests;
  }

  @Subscriber('metered.events')
  onEvent(@Payload() event: unknown): void {
    events.push(event);
  }

  @Subscriber('metered.flaky')
  onFlaky(@Payload() event: unknown): void {
    flaky.push(event);
    if (flaky.length === 1) throw new Error('first delivery fails');
  }
}

const registry = new MemoryRegistry();
const broker = new MemoryBroker();
const root = (name: string, address?: string) =>
  MicroModule.forRoot({ name, address, registry, broker, env: false, transport: createTransport('tcp') });

@Module({ imports: [root('metered', '127.0.0.1:0')], controllers: [MeteredController] })
class ServiceModule {}

@Module({ imports: [root('caller'), MicroModule.registerClients([{ name: 'METERED', service: 'metered' }])] })
class CallerModule {}

const histogram = (p: { value: unknown } | undefined): Histogram => p!.value as Histogram;

describe('metrics (OpenTelemetry SDK) on real calls', () => {
  let pair: AppPair;
  let client: MicroClient;

  beforeAll(async () => {
    metrics.setGlobalMeterProvider(provider);
    pair = await startPair(ServiceModule, CallerModule);
    client = pair.caller.get<MicroClient>('METERED');
  });

  afterAll(async () => {
    await closePair(pair);
    metrics.disable();
    await provider.shutdown();
  });

  it('a successful call is one client and one server duration, without error attributes', async () => {
    await expect(client.call('metered', 'Metered.Hello', { name: 'Ada' })).resolves.toEqual({
      msg: 'Hello Ada',
    });
    const method = { 'rpc.system.name': 'go-micro', 'rpc.method': 'metered.Metered.Hello' };
    const server = await reader.point('rpc.server.call.duration', { ...method, 'error.type': undefined });
    expect(histogram(server).count).toBe(1);
    const [host, port] = pair.address.split(':');
    const called = await reader.point('rpc.client.call.duration', {
      ...method,
      'server.address': host,
      'server.port': Number(port),
      'error.type': undefined,
    });
    expect(histogram(called).count).toBe(1);
    expect(histogram(called).sum).toBeGreaterThan(0);
    // nothing left in flight on either side
    expect((await reader.point('micro.server.active_calls', method))?.value).toBe(0);
    expect((await reader.point('micro.client.active_calls', method))?.value).toBe(0);
  });

  it('a MicroError is recorded with its code as rpc.response.status_code and error.type', async () => {
    await expect(client.call('metered', 'Metered.Fail', {})).rejects.toMatchObject({ code: 409 });
    const failed = {
      'rpc.method': 'metered.Metered.Fail',
      'rpc.response.status_code': '409',
      'error.type': '409',
    };
    expect(histogram(await reader.point('rpc.server.call.duration', failed)).count).toBe(1);
    expect(histogram(await reader.point('rpc.client.call.duration', failed)).count).toBe(1);
  });

  it('a retry is counted with the failure that caused it; the call is one duration', async () => {
    const retrying = client.with({
      retries: 2,
      attemptWrappers: [
        (next) => (r) =>
          r.attempt === 0 ? Promise.reject(MicroError.unavailable('test', 'first attempt lost')) : next(r),
      ],
    });
    await expect(retrying.call('metered', 'Metered.Hello', { name: 'Bo' })).resolves.toEqual({
      msg: 'Hello Bo',
    });
    const retries = await reader.point('micro.client.retries', {
      'rpc.method': 'metered.Metered.Hello',
      'error.type': '503',
    });
    expect(retries?.value).toBe(1);
    const calls = await reader.point('rpc.client.call.duration', {
      'rpc.method': 'metered.Metered.Hello',
      'error.type': undefined,
    });
    expect(histogram(calls).count).toBe(2); // this one and the first test's
  });

  it('a call shed by a full handler counts as shed and as a 503 on the server', async () => {
    const busy = client.call('metered', 'Metered.Busy', {});
    await waitFor(
      async () =>
        (await reader.point('micro.server.active_calls', { 'rpc.method': 'metered.Metered.Busy' }))?.value ===
        1,
    );
    const shed = client.with({ retries: 0 }).call('metered', 'Metered.Busy', {});
    await expect(shed).rejects.toMatchObject({ code: 503 });
    release();
    await expect(busy).resolves.toEqual({ ok: true });
    const refused = { 'rpc.method': 'metered.Metered.Busy', 'rpc.response.status_code': '503' };
    expect((await reader.point('micro.server.shed_calls', refused))?.value).toBe(1);
    expect(histogram(await reader.point('rpc.server.call.duration', refused)).count).toBe(1);
    expect(
      histogram(
        await reader.point('rpc.server.call.duration', {
          'rpc.method': 'metered.Metered.Busy',
          'error.type': undefined,
        }),
      ).count,
    ).toBe(1);
  });

  it('stream messages are counted on both sides', async () => {
    const replies = await lastValueFrom(
      client.stream('metered', 'Metered.Echo', of({ n: 1 }, { n: 2 }, { n: 3 })).pipe(toArray()),
    );
    expect(replies).toHaveLength(3);
    const echo = { 'rpc.method': 'metered.Metered.Echo' };
    await waitFor(
      async () =>
        (await reader.point('micro.stream.messages.received', { ...echo, 'micro.stream.side': 'server' }))
          ?.value === 3,
    );
    for (const side of ['client', 'server'])
      for (const name of ['micro.stream.messages.sent', 'micro.stream.messages.received'])
        expect((await reader.point(name, { ...echo, 'micro.stream.side': side }))?.value).toBe(3);
  });

  it('a publish and its delivery are counted with the broker and topic', async () => {
    await client.publish('metered.events', { n: 1 });
    await waitFor(() => events.length === 1);
    const topic = { 'messaging.system': 'memory', 'messaging.destination.name': 'metered.events' };
    expect((await reader.point('messaging.client.sent.messages', topic))?.value).toBe(1);
    await waitFor(async () => (await reader.point('messaging.client.consumed.messages', topic))?.value === 1);
  });

  it('a failed delivery is counted with its error, its redelivery as redelivered', async () => {
    await client.publish('metered.flaky', { n: 1 });
    await waitFor(() => flaky.length === 2);
    const topic = { 'messaging.system': 'memory', 'messaging.destination.name': 'metered.flaky' };
    await waitFor(async () => (await reader.point('micro.messaging.redelivered', topic))?.value === 1);
    expect(
      (await reader.point('messaging.client.consumed.messages', { ...topic, 'error.type': '500' }))?.value,
    ).toBe(1);
    expect(
      (await reader.point('messaging.client.consumed.messages', { ...topic, 'error.type': undefined }))
        ?.value,
    ).toBe(1);
  });

  it('records nothing, and calls still answer, with no MeterProvider registered', async () => {
    metrics.disable();
    try {
      expect(activeMetrics()).toBeUndefined();
      const before = histogram(
        await reader.point('rpc.server.call.duration', {
          'rpc.method': 'metered.Metered.Hello',
          'error.type': undefined,
        }),
      ).count;
      await expect(client.call('metered', 'Metered.Hello', { name: 'Cy' })).resolves.toEqual({
        msg: 'Hello Cy',
      });
      const after = histogram(
        await reader.point('rpc.server.call.duration', {
          'rpc.method': 'metered.Metered.Hello',
          'error.type': undefined,
        }),
      ).count;
      expect(after).toBe(before);
    } finally {
      metrics.setGlobalMeterProvider(provider);
    }
  });
});
