/**
 * Log correlation with the real OpenTelemetry SDK: with MicroModule's `logFormat`, Nest Logger lines
 * written inside a handled call carry the SERVER span's trace and span id (JSON fields or text
 * suffix); lines outside a call carry none; a custom LoggerService is left alone; MICRO_LOG_FORMAT
 * sets the format.
 */
import 'reflect-metadata';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { stripVTControlCharacters } from 'node:util';
import {
  ConsoleLogger,
  Controller,
  Logger,
  Module,
  type INestApplicationContext,
  type INestMicroservice,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { Handler, MicroClient, MicroModule, useTraceContextLogger } from '../../lib/index.js';
import { resolveOptions } from '../../lib/nest/options.js';
import { startService } from '../support/apps.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

@Controller()
class LogsController {
  private readonly logger = new Logger(LogsController.name);

  @Handler('Logs.Write')
  write(): { ok: boolean } {
    this.logger.log('inside the call');
    return { ok: true };
  }
}

const registry = new MemoryRegistry();
const broker = new MemoryBroker();

@Module({
  imports: [
    MicroModule.forRoot({
      name: 'logs',
      address: '127.0.0.1:0',
      registry,
      broker,
      env: false,
      logFormat: 'json',
    }),
  ],
  controllers: [LogsController],
})
class LogsModule {}

@Module({
  imports: [
    MicroModule.forRoot({ name: 'logs-caller', registry, broker, env: false }),
    MicroModule.registerClients([{ name: 'LOGS', service: 'logs' }]),
  ],
})
class CallerModule {}

describe('log correlation (MicroModule logFormat)', () => {
  let service: INestMicroservice;
  let caller: INestApplicationContext;
  let written: string[];

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const levels = ['log', 'error', 'warn'] as const;
    service = await startService(LogsModule, [...levels]);
    // not a second testing module: compiling one makes Nest's TestingLogger the app logger again
    caller = await NestFactory.createApplicationContext(CallerModule, { logger: [...levels] });
  });

  afterAll(async () => {
    await caller?.close();
    await service?.close();
    Logger.overrideLogger(new ConsoleLogger());
    trace.disable();
    context.disable();
    propagation.disable();
  });

  beforeEach(() => {
    exporter.reset();
    written = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        if (typeof chunk === 'string' && chunk.includes('LogsController')) {
          written.push(chunk);
          return true;
        }
        return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      });
    return () => spy.mockRestore();
  });

  /** Calls Logs.Write and returns the SERVER span's ids. */
  async function call(): Promise<{ traceId: string; spanId: string }> {
    await expect(caller.get<MicroClient>('LOGS').call('logs', 'Logs.Write', {})).resolves.toEqual({
      ok: true,
    });
    await provider.forceFlush();
    const server = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    return server.spanContext();
  }

  it('a JSON line written in a handler carries the SERVER span trace_id and span_id', async () => {
    const { traceId, spanId } = await call();
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({
      level: 'log',
      context: 'LogsController',
      message: 'inside the call',
      trace_id: traceId,
      span_id: spanId,
      trace_flags: '01',
    });
  });

  it('a line written outside any call carries no trace id', () => {
    new Logger('LogsController').log('outside');
    expect(written).toHaveLength(1);
    const line = JSON.parse(written[0]!) as Record<string, unknown>;
    expect(line.message).toBe('outside');
    expect(line).not.toHaveProperty('trace_id');
  });

  it('the text format ends the line with trace_id=… span_id=…', async () => {
    useTraceContextLogger('text');
    try {
      const { traceId, spanId } = await call();
      expect(written).toHaveLength(1);
      expect(stripVTControlCharacters(written[0]!)).toContain(
        `inside the call trace_id=${traceId} span_id=${spanId}`,
      );
    } finally {
      useTraceContextLogger('json');
    }
  });

  it('keeps the log levels in force and leaves a custom LoggerService alone', async () => {
    Logger.overrideLogger(['error']);
    await call();
    expect(written).toHaveLength(0); // 'log' is off now
    Logger.overrideLogger(['log', 'error', 'warn']);

    const lines: unknown[] = [];
    const custom: LoggerService = { log: (m) => lines.push(m), error: () => {}, warn: () => {} };
    Logger.overrideLogger(custom);
    useTraceContextLogger('json');
    new Logger('X').log('to the custom logger');
    expect(lines).toEqual(['to the custom logger']);
    Logger.overrideLogger(new ConsoleLogger({ logLevels: ['log', 'error', 'warn'] }));
    useTraceContextLogger('json');
  });

  it('MICRO_LOG_FORMAT sets the format (text or json), over the option', () => {
    expect(resolveOptions({ env: true, logFormat: 'text' }, { MICRO_LOG_FORMAT: 'JSON' }).logFormat).toBe(
      'json',
    );
    expect(resolveOptions({}, { MICRO_LOG_FORMAT: 'yaml' }).logFormat).toBeUndefined();
    expect(resolveOptions({ logFormat: 'text' }, {}).logFormat).toBe('text');
  });
});
