/**
 * A handler that throws inside its own rxjs subscribe callback must not take the service down: the
 * error has no subscriber, rxjs would rethrow it on a timer (an uncaught exception), and the server
 * logs it instead while it runs — unless the application set rxjs's hook itself.
 */
import 'reflect-metadata';
import { Controller, Logger, Module, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { config, from, lastValueFrom, Observable, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Handler, MicroClient, MicroModule, MicroServer } from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { logUnhandledRxErrors } from '../../../lib/nest/server/unhandled-rx-errors.js';
import { startService } from '../../support/apps.js';

/** An application's own rxjs onUnhandledError hook. */
const own = (): void => undefined;

@Controller()
class CarelessController {
  /** Subscribes to its requests itself and throws in that callback, then answers. */
  @Handler('Careless.Stream', { stream: true })
  stream(@Payload() requests: Observable<{ n: number }>): Observable<{ ok: boolean }> {
    requests.subscribe({
      next: () => {
        throw new Error('thrown in my own subscribe callback');
      },
    });
    return from([{ ok: true }]);
  }
}

describe('errors thrown in a handler’s own rxjs subscriber', () => {
  const registry = new MemoryRegistry();
  let service: INestMicroservice;
  let caller: INestMicroservice;

  beforeAll(async () => {
    @Module({
      imports: [MicroModule.forRoot({ name: 'careless', registry, broker: new MemoryBroker(), env: false })],
      controllers: [CarelessController],
    })
    class ServiceModule {}
    service = await startService(ServiceModule);
    @Module({
      imports: [
        MicroModule.forRoot({ name: 'caller', registry, broker: new MemoryBroker(), env: false }),
        MicroModule.registerClients([{ name: 'CARELESS', service: 'careless' }]),
      ],
    })
    class CallerModule {}
    const callerRef = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    caller = callerRef.createNestMicroservice({ ...MicroServer.fromModule(), logger: false });
  });

  afterAll(async () => {
    await caller?.close();
    await service?.close();
  });

  it('are logged while a server runs, and the service keeps serving', async () => {
    const client = caller.get<MicroClient>('CARELESS');
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 2; i++) {
        const replies = client.stream('careless', 'Careless.Stream', from([{ n: 1 }]), { timeout: 5_000 });
        expect(await lastValueFrom(replies.pipe(toArray()))).toEqual([{ ok: true }]);
      }
      await new Promise((r) => setTimeout(r, 20)); // rxjs reports on a timer
      expect(logged.mock.calls.some(([m]) => String(m).includes('thrown in my own subscribe callback'))).toBe(
        true,
      );
    } finally {
      logged.mockRestore();
    }
  });

  it('leave an application’s own hook alone, and the hook goes when the last server stops', () => {
    const saved = config.onUnhandledError;
    config.onUnhandledError = own;
    const release = logUnhandledRxErrors(new Logger('t'));
    expect(config.onUnhandledError).toBe(own);
    release();
    expect(config.onUnhandledError).toBe(own);
    config.onUnhandledError = saved;
  });
});
