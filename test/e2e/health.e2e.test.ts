import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { MicroHealth, MicroModule, MicroServer } from '../../lib/index.js';
import { MicroHealthIndicator } from '../../lib/nest/health/terminus.indicator.js';
import { GreeterController } from './greeter.fixture.js';

describe('health', () => {
  it('reports ready, registry and broker through MicroHealth and the terminus indicator; not ready while draining', async () => {
    const registry = new MemoryRegistry();
    @Module({
      imports: [
        TerminusModule,
        MicroModule.forRoot({
          name: 'healthy',
          address: '127.0.0.1:0',
          registry,
          broker: new MemoryBroker(),
          env: false,
          propagationDelay: 200,
        }),
      ],
      controllers: [GreeterController],
      providers: [MicroHealthIndicator],
    })
    class HealthModule {}
    const app = (
      await Test.createTestingModule({ imports: [HealthModule] }).compile()
    ).createNestMicroservice({ ...MicroServer.fromModule(), logger: false });
    await app.listen();
    const indicator = app.get(MicroHealthIndicator);
    expect(await indicator.isHealthy('micro')).toMatchObject({
      micro: {
        status: 'up',
        ready: true,
        registry: { name: 'memory', up: true },
        broker: { name: 'memory', up: true },
      },
    });

    const closing = app.close();
    expect(await app.get(MicroHealth).check()).toMatchObject({ healthy: false, ready: false });
    await closing;

    registry.listServices = () => Promise.reject(new Error('registry down'));
    const report = await app.get(MicroHealth).check();
    expect(report.registry).toEqual({ name: 'memory', up: false, error: 'registry down' });
  });
});
