import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Payload } from '@nestjs/microservices';
import { describe, expect, it, vi } from 'vitest';
import { Handler, MicroClient, MicroModule, MicroServer, type MicroOptions } from '../../lib/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';

@Controller()
class SlowController {
  static release: Array<() => void> = [];

  @Handler('Slow.Wait')
  async wait(@Payload() data: { tag: string }): Promise<{ tag: string; pid: string }> {
    await new Promise<void>((resolve) => SlowController.release.push(resolve));
    return { tag: data.tag, pid: 'done' };
  }

  @Handler('Slow.Now')
  now(): string {
    return 'now';
  }
}

async function start(options: MicroOptions) {
  @Module({
    imports: [MicroModule.forRoot({ name: 'slow', address: '127.0.0.1:0', env: false, ...options })],
    controllers: [SlowController],
  })
  class SlowModule {}
  const ref = await Test.createTestingModule({ imports: [SlowModule] }).compile();
  const app = ref.createNestMicroservice({ ...MicroServer.fromModule(), logger: false });
  return app;
}

describe('lifecycle hooks', () => {
  it('run once each, in go-micro order, around start and stop', async () => {
    const order: string[] = [];
    const registry = new MemoryRegistry();
    const app = await start({
      registry,
      broker: new MemoryBroker(),
      propagationDelay: 0,
      hooks: {
        beforeStart: async () =>
          void order.push(`beforeStart registered=${(await registry.getService('slow')).length}`),
        afterStart: async () =>
          void order.push(`afterStart registered=${(await registry.getService('slow')).length}`),
        beforeStop: async () =>
          void order.push(`beforeStop registered=${(await registry.getService('slow')).length}`),
        afterStop: async () =>
          void order.push(`afterStop registered=${(await registry.getService('slow')).length}`),
      },
    });
    await app.listen();
    await app.close();
    await app.close();
    expect(order).toEqual([
      'beforeStart registered=0',
      'afterStart registered=1',
      'beforeStop registered=1',
      'afterStop registered=0',
    ]);
  });

  it('a throwing beforeStart stops the start with its message and registers nothing', async () => {
    const registry = new MemoryRegistry();
    const app = await start({
      registry,
      broker: new MemoryBroker(),
      hooks: {
        beforeStart: () => {
          throw new Error('config missing');
        },
      },
    });
    await expect(app.listen()).rejects.toThrow(/beforeStart hook failed: config missing/);
    expect(await registry.getService('slow')).toEqual([]);
  });

  it('a registry that keeps failing fails the start with a clear error after 3 attempts', async () => {
    let attempts = 0;
    const registry = new MemoryRegistry();
    registry.register = async () => {
      attempts++;
      throw new Error('connection refused');
    };
    const app = await start({ registry, broker: new MemoryBroker() });
    await expect(app.listen()).rejects.toThrow(
      /could not register slow with the memory registry after 3 attempts: connection refused/,
    );
    expect(attempts).toBe(3);
  });
});

describe('health and graceful drain', () => {
  it('answers Debug.Health until it drains, then 503; in-flight calls finish, new ones retry on another node', async () => {
    const registry = new MemoryRegistry();
    const broker = new MemoryBroker();
    const a = await start({ registry, broker, propagationDelay: 50, drainTimeout: 5_000 });
    const b = await start({ registry, broker, propagationDelay: 50 });
    await a.listen();
    await b.listen();
    const addressA = a.get(MicroServer).address!;
    const client = b.get(MicroClient); // A's own client closes with A
    expect(await client.call('slow', 'Debug.Health', {}, { address: addressA })).toEqual({ status: 'ok' });

    const inflight = client.call('slow', 'Slow.Wait', { tag: 'first' }, { address: addressA });
    while (SlowController.release.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = a.close();
    expect(a.get(MicroServer).ready).toBe(false);
    await new Promise((r) => setTimeout(r, 100)); // past the propagation delay: A is draining
    // A's Debug.Health is no longer "ok": the same retryable 503 refusal as any new call
    await expect(
      client.call('slow', 'Debug.Health', {}, { address: addressA, retries: 0 }),
    ).rejects.toMatchObject({ code: 503, retryable: true, detail: expect.stringContaining('draining') });
    const addressB = b.get(MicroServer).address!;
    // A refuses with a retryable error; the client retries on B (the call starts at A: random 0).
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(await client.call('slow', 'Slow.Now', {}, { address: [addressA, addressB], retries: 1 })).toBe(
      'now',
    );
    random.mockRestore();
    SlowController.release.shift()!();
    expect(await inflight).toEqual({ tag: 'first', pid: 'done' });
    await closing;
    await b.close();
  });
});

describe('function mode', () => {
  it('takes exactly one call; a second one is refused as retryable while the first is served', async () => {
    const app = await start({
      registry: new MemoryRegistry(),
      broker: new MemoryBroker(),
      propagationDelay: 0,
    });
    const server = app.get(MicroServer);
    const served = server.serveOnce();
    await app.listen();
    const client = app.get(MicroClient);
    const address = server.address!;
    const first = client.call('slow', 'Slow.Wait', { tag: 'one' }, { address, retries: 0 });
    while (SlowController.release.length === 0) await new Promise((r) => setTimeout(r, 5));
    await expect(client.call('slow', 'Slow.Now', {}, { address, retries: 0 })).rejects.toMatchObject({
      code: 503,
      retryable: true,
    });
    SlowController.release.shift()!();
    expect(await first).toEqual({ tag: 'one', pid: 'done' });
    await served;
    await app.close();
  });
});
