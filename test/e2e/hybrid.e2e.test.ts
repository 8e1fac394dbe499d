import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroModule, MicroServer } from '../../lib/index.js';
import { resolveOptions } from '../../lib/nest/options.js';
import { GreeterController } from './greeter.fixture.js';

const registry = new MemoryRegistry();

@Injectable()
class Settings {
  readonly serviceName = 'hybrid-greeter';
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Controller('api')
class ApiController {
  constructor(@Inject('SELF') private readonly self: MicroClient) {}

  @Get('greet')
  greet(): Promise<unknown> {
    return this.self.send('Greeter.Hello', { name: 'http' }).toPromise();
  }

  @Get('boom')
  boom(): never {
    throw new Error('http handler failed');
  }
}

@Module({
  imports: [
    MicroModule.forRootAsync({
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (s: Settings) => ({ name: s.serviceName, address: '127.0.0.1:0', registry, env: false }),
    }),
    MicroModule.registerClientsAsync([
      {
        name: 'SELF',
        imports: [SettingsModule],
        inject: [Settings],
        useFactory: (s: Settings) => ({ service: s.serviceName, options: { timeout: 2_000 } }),
      },
    ]),
  ],
  controllers: [GreeterController, ApiController],
})
class HybridModule {}

let app: INestApplication;
let base: string;

beforeAll(async () => {
  const ref = await Test.createTestingModule({ imports: [HybridModule] }).compile();
  app = ref.createNestApplication({ logger: false });
  app.connectMicroservice(MicroServer.fromModule(), { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
});

afterAll(async () => {
  await app?.close();
});

describe('a hybrid app (HTTP + connectMicroservice) configured with forRootAsync', () => {
  it('registers with the name from the async factory and serves RPC through a client from registerClientsAsync', async () => {
    expect((await registry.getService('hybrid-greeter'))[0]!.nodes).toHaveLength(1);
    const res = await fetch(`${base}/api/greet`);
    expect(await res.json()).toEqual({ msg: 'Hello http' });
  });

  it('leaves HTTP error handling to Nest (500 JSON), even with the module error filter installed', async () => {
    const res = await fetch(`${base}/api/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ statusCode: 500 });
  });

  it('deregisters on close', async () => {
    await app.close();
    expect(await registry.getService('hybrid-greeter')).toEqual([]);
  });
});

describe('MICRO_* environment variables', () => {
  it('override the module options', () => {
    const resolved = resolveOptions(
      { name: 'svc', address: '127.0.0.1:1234', registry },
      {
        MICRO_SERVER_ADDRESS: '127.0.0.1:4321',
        MICRO_SERVER_ADVERTISE: '10.0.0.1:80',
        MICRO_REGISTRY: 'memory',
        MICRO_TRANSPORT: 'http',
        MICRO_BROKER: 'memory',
      },
    );
    expect(resolved.address).toBe('127.0.0.1:4321');
    expect(resolved.advertise).toBe('10.0.0.1:80');
    expect(resolved.registry.name).toBe('memory');
    expect(resolved.transport.name).toBe('http');
    expect(resolved.broker.name).toBe('memory');
  });

  it('fill defaults in one place', () => {
    const resolved = resolveOptions({ name: 'svc' }, {});
    expect(resolved).toMatchObject({
      version: 'latest',
      address: ':0',
      registerInterval: 30_000,
      registerTTL: 90_000,
      maxBodySize: 4 * 1024 * 1024,
    });
    expect(resolved.id).toMatch(/^svc-/);
  });

  it('reject an unknown implementation name clearly', () => {
    expect(() => resolveOptions({ name: 'svc' }, { MICRO_REGISTRY: 'zookeeper' })).toThrow(
      /unknown registry "zookeeper"/,
    );
  });
});
