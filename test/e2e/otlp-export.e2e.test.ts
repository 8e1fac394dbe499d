/**
 * A real OTLP/HTTP export across two Node processes: this test process (the caller) and a greeter
 * process (fixtures/otlp-greeter.ts) each run the OpenTelemetry SDK with a batch processor and
 * @opentelemetry/exporter-trace-otlp-http, sending to a receiver this test starts on 127.0.0.1.
 * The receiver decodes what arrives (OTLP JSON, the exporter's encoding) and the test checks the
 * spans of one call: one trace, the greeter's SERVER span a child of the caller's attempt span, the
 * handler's own span a child of the SERVER span, and the rpc.* attributes.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroModule } from '../../lib/index.js';
import { startProcess, waitFor, type Started } from '../support/processes.js';

/** One span as the receiver decoded it, with the service.name of the process that sent it. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
interface OtlpRequest {
  resourceSpans: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans: {
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpKeyValue[];
      }[];
    }[];
  }[];
}

// OTLP's SpanKind
const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attributesOf = (list: OtlpKeyValue[] = []): Record<string, unknown> =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** An OTLP/HTTP trace receiver on 127.0.0.1: decodes each JSON export request into spans. */
function startReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[]; types: string[] }> {
  const spans: ReceivedSpan[] = [];
  const types: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      types.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest;
      for (const rs of body.resourceSpans) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name']);
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              attributes: attributesOf(s.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
        spans,
        types,
      }),
    ),
  );
}

describe('OTLP/HTTP export of a call across two processes', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let greeter: Started;
  let address: string;
  let caller: INestApplicationContext;
  let provider: TracerProvider;

  beforeAll(async () => {
    receiver = await startReceiver();
    greeter = startProcess(
      process.execPath,
      ['--import', './scripts/register-ts.mjs', 'test/e2e/fixtures/otlp-greeter.ts'],
      { OTLP_URL: receiver.url },
    );
    await waitFor(() => /ready \S+/.test(greeter.output()), 60_000, 'the greeter process');
    address = /ready (\S+)/.exec(greeter.output())![1]!;

    provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otlp-caller' }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: receiver.url }) })],
    });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());

    @Module({
      imports: [
        MicroModule.forRoot({ name: 'otlp-caller', registry: new MemoryRegistry(), env: false }),
        MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
      ],
    })
    class CallerModule {}
    caller = await NestFactory.createApplicationContext(CallerModule, { logger: ['error'] });
  }, 90_000);

  afterAll(async () => {
    await caller?.close();
    await greeter?.stop();
    await provider?.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
    receiver?.server.close();
  });

  it('the receiver gets one trace: caller call → attempt → greeter SERVER → handler span', async () => {
    const client = caller.get<MicroClient>('GREETER');
    await expect(client.call('greeter', 'Greeter.Hello', { name: 'Otto' }, { address })).resolves.toEqual({
      msg: 'Hello Otto',
    });
    await provider.forceFlush();
    const { spans } = receiver;
    // the greeter's batch goes out within its 100 ms schedule
    await waitFor(
      () => spans.some((s) => s.service === 'otlp-greeter' && s.name === 'greeting'),
      30_000,
      'spans',
    );

    expect(receiver.types.every((t) => t === 'POST /v1/traces application/json')).toBe(true);
    const clientSpans = spans.filter((s) => s.service === 'otlp-caller' && s.kind === CLIENT);
    const call = clientSpans.find((s) => s.parentSpanId === '')!;
    const attempt = clientSpans.find((s) => s.parentSpanId === call.spanId)!;
    const server = spans.find((s) => s.service === 'otlp-greeter' && s.kind === SERVER)!;
    const handler = spans.find((s) => s.service === 'otlp-greeter' && s.name === 'greeting')!;

    expect(new Set([call, attempt, server, handler].map((s) => s.traceId)).size).toBe(1);
    expect(call.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(server.parentSpanId).toBe(attempt.spanId);
    expect(handler).toMatchObject({ kind: INTERNAL, parentSpanId: server.spanId });
    expect(server).toMatchObject({
      name: 'greeter.Greeter.Hello',
      attributes: { 'rpc.system.name': 'go-micro', 'rpc.method': 'greeter.Greeter.Hello' },
    });
    const [host, port] = address.split(':');
    expect(attempt.attributes).toMatchObject({
      'server.address': host,
      'server.port': Number(port),
      'micro.attempt': 1,
    });
  });
});
