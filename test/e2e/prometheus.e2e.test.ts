/**
 * The Prometheus endpoint of MicroModule (`metrics` option), scraped over real HTTP after real calls:
 * the OpenTelemetry histograms (`rpc_server_call_duration`, `rpc_client_call_duration`) and go-micro's
 * `micro_request_total` / `micro_request_duration_seconds` (its labels and buckets) are there with the
 * right counts; another path is a 404; a busy port fails the start-up naming the address; the
 * endpoint stops with the app.
 */
import 'reflect-metadata';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { createTransport } from '../../lib/core/transport/index.js';
import { Handler, MicroClient, MicroError, MicroModule } from '../../lib/index.js';
import { closePair, startPair, type AppPair } from '../support/apps.js';
import { freePort } from '../support/ports.js';
import { parseScrape, type Scrape } from '../support/prometheus-text.js';

@Controller()
class ScrapedController {
  @Handler('Scraped.Hello')
  hello(@Payload() request: { name: string }): { msg: string } {
    return { msg: `Hello ${request.name}` };
  }

  @Handler('Scraped.Fail')
  fail(): never {
    throw MicroError.conflict('scraped', 'name already taken');
  }
}

const registry = new MemoryRegistry();
const broker = new MemoryBroker();
let servicePort = 0;
let callerPort = 0;

async function scrape(
  port: number,
  path = '/metrics',
): Promise<{ status: number; text: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return {
    status: response.status,
    text: await response.text(),
    type: response.headers.get('content-type') ?? '',
  };
}

describe('the Prometheus endpoint (MicroModule metrics option)', () => {
  let pair: AppPair;
  let service: Scrape;
  let caller: Scrape;

  beforeAll(async () => {
    servicePort = await freePort();
    callerPort = await freePort();
    const transport = createTransport('tcp');
    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'scraped',
          address: '127.0.0.1:0',
          registry,
          broker,
          transport,
          env: false,
          metrics: { port: servicePort },
        }),
      ],
      controllers: [ScrapedController],
    })
    class ServiceModule {}
    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'scraper',
          registry,
          broker,
          transport: createTransport('tcp'),
          env: false,
          metrics: { port: callerPort, path: 'custom', goMicroNames: false },
        }),
        MicroModule.registerClients([{ name: 'SCRAPED', service: 'scraped' }]),
      ],
    })
    class CallerModule {}
    pair = await startPair(ServiceModule, CallerModule);
    const client = pair.caller.get<MicroClient>('SCRAPED');
    for (const name of ['Ada', 'Bo', 'Cy']) await client.call('scraped', 'Scraped.Hello', { name });
    await expect(client.call('scraped', 'Scraped.Fail', {})).rejects.toMatchObject({ code: 409 });
    const s = await scrape(servicePort);
    expect(s.status).toBe(200);
    expect(s.type).toMatch(/^text\/plain/);
    service = parseScrape(s.text);
    caller = parseScrape((await scrape(callerPort, '/custom')).text);
  });

  afterAll(async () => {
    await closePair(pair);
  });

  it('serves the server histogram with its counts, by method and error', () => {
    expect(service.types.get('rpc_server_call_duration')).toBe('histogram');
    const hello = { rpc_method: 'scraped.Scraped.Hello', rpc_system_name: 'go-micro' };
    const [count] = service.find('rpc_server_call_duration_count', hello);
    expect(count!.value).toBe(3);
    expect(count!.labels.error_type).toBeUndefined();
    const inf = service.find('rpc_server_call_duration_bucket', { ...hello, le: '+Inf' });
    expect(inf.map((s) => s.value)).toEqual([3]);
    const failed = service.find('rpc_server_call_duration_count', {
      rpc_method: 'scraped.Scraped.Fail',
      rpc_response_status_code: '409',
      error_type: '409',
    });
    expect(failed.map((s) => s.value)).toEqual([1]);
  });

  it("serves go-micro's micro_request_total and micro_request_duration_seconds", () => {
    expect(service.types.get('micro_request_total')).toBe('counter');
    expect(service.types.get('micro_request_duration_seconds')).toBe('histogram');
    const hello = { service: 'scraped', endpoint: 'Scraped.Hello', status: 'success' };
    expect(service.find('micro_request_total', hello).map((s) => s.value)).toEqual([3]);
    const fail = { service: 'scraped', endpoint: 'Scraped.Fail', status: 'fail' };
    expect(service.find('micro_request_total', fail).map((s) => s.value)).toEqual([1]);
    const buckets = service.find('micro_request_duration_seconds_bucket', hello).map((s) => s.labels.le);
    expect(buckets).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
    expect(service.find('micro_request_duration_seconds_count', hello).map((s) => s.value)).toEqual([3]);
  });

  it('serves the client histogram on its own path, without go-micro names when turned off', () => {
    const called = caller.find('rpc_client_call_duration_count', { rpc_method: 'scraped.Scraped.Hello' });
    expect(called.map((s) => s.value)).toEqual([3]);
    expect(called[0]!.labels.server_address).toBe('127.0.0.1');
    expect(caller.find('micro_request_total')).toEqual([]);
    expect(caller.samples.some((s) => s.labels.service_name === 'scraper' || s.name === 'target_info')).toBe(
      true,
    );
  });

  it('answers 404 on another path', async () => {
    expect((await scrape(servicePort, '/other')).status).toBe(404);
  });

  it('a port already taken fails the start-up with the address', async () => {
    const port = await freePort();
    const taken = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    let app: INestApplication | undefined;
    try {
      @Module({
        imports: [
          MicroModule.forRoot({ name: 'busy-port', registry, broker, env: false, metrics: { port } }),
        ],
      })
      class BusyModule {}
      const ref = await Test.createTestingModule({ imports: [BusyModule] }).compile();
      app = ref.createNestApplication({ logger: false });
      await expect(app.init()).rejects.toThrow(
        `metrics endpoint cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
      );
    } finally {
      await app?.close().catch(() => undefined);
      taken.close();
    }
  });

  it('stops with the app', async () => {
    const port = await freePort();
    @Module({
      imports: [MicroModule.forRoot({ name: 'closing', registry, broker, env: false, metrics: { port } })],
    })
    class ClosingModule {}
    const ref = await Test.createTestingModule({ imports: [ClosingModule] }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    expect((await scrape(port)).status).toBe(200);
    await app.close();
    await expect(scrape(port)).rejects.toThrow();
  });
});
