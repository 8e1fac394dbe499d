import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroContext, MicroModule, MicroServer, Subscriber } from '../../lib/index.js';
import { waitFor } from '../support/processes.js';

const attempts: Array<number | undefined> = [];

@Controller()
class FlakyController {
  @Subscriber('jobs')
  job(@Payload() _job: unknown, @Ctx() ctx: MicroContext): void {
    attempts.push(ctx.getAttempt());
    if (attempts.length === 1) throw new Error('first delivery fails');
  }
}

describe('a redelivered event', () => {
  it('tells the subscriber which delivery attempt it is', async () => {
    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'jobs',
          address: '127.0.0.1:0',
          registry: new MemoryRegistry(),
          broker: new MemoryBroker(),
          env: false,
          propagationDelay: 0,
        }),
      ],
      controllers: [FlakyController],
    })
    class JobsModule {}
    const app = (await Test.createTestingModule({ imports: [JobsModule] }).compile()).createNestMicroservice({
      ...MicroServer.fromModule(),
      logger: false,
    });
    await app.listen();
    try {
      await app.get(MicroClient).publish('jobs', { id: 1 });
      await waitFor(() => attempts.length === 2, 5_000, 'the redelivery');
      expect(attempts).toEqual([1, 2]);
    } finally {
      await app.close();
    }
  });
});
