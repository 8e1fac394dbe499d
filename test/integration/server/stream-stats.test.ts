/**
 * Debug.Stats counts a stream as one request when it ends, however many messages it carried, and as
 * an error when it ended with one; its duration stays out of the `latency` histogram (calls only).
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { from, lastValueFrom, map, Observable, throwError, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Handler, MicroClient, MicroModule } from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { readStats, type DebugStatsResponse } from '../../../lib/core/metrics/index.js';
import { startService } from '../../support/apps.js';

/** Calls measured in the latency histogram (every bucket). */
const latencyTotal = (s: DebugStatsResponse): number => s.latency!.counts.reduce((a, b) => a + b, 0);

@Controller()
class CountedController {
  @Handler('Counted.Echo', { stream: true })
  echo(@Payload() requests: Observable<{ n: number }>): Observable<{ n: number }> {
    return requests.pipe(map(({ n }) => ({ n: n * 10 })));
  }

  @Handler('Counted.Fail', { stream: true })
  fail(): Observable<never> {
    return throwError(() => new Error('stream handler failed'));
  }
}

describe('Debug.Stats and streams', () => {
  const registry = new MemoryRegistry();
  let service: INestMicroservice;
  let client: MicroClient;

  beforeAll(async () => {
    @Module({
      imports: [MicroModule.forRoot({ name: 'counted', registry, broker: new MemoryBroker(), env: false })],
      controllers: [CountedController],
    })
    class ServiceModule {}
    service = await startService(ServiceModule);
    client = service.get(MicroClient);
  });

  afterAll(async () => {
    await service?.close();
  });

  const stats = async (): Promise<DebugStatsResponse> =>
    readStats(await client.call('counted', 'Debug.Stats', {}, { retries: 0 }));
  it('a stream of three messages each way counts as one request when it ends', async () => {
    const before = await stats();
    const replies = client.stream('counted', 'Counted.Echo', from([{ n: 1 }, { n: 2 }, { n: 3 }]));
    expect(await lastValueFrom(replies.pipe(toArray()))).toEqual([{ n: 10 }, { n: 20 }, { n: 30 }]);
    const after = await stats();
    // the first Debug.Stats call is counted after its snapshot was taken: +1, and the stream: +1
    expect(after.requests - before.requests).toBe(2);
    expect(after.errors - before.errors).toBe(0);
    expect(latencyTotal(after) - latencyTotal(before)).toBe(1); // the Debug.Stats call only
  });

  it('a stream that ends with an error counts as one request and one error', async () => {
    const before = await stats();
    const replies = client.stream('counted', 'Counted.Fail', from([{ n: 1 }]));
    await expect(lastValueFrom(replies.pipe(toArray()))).rejects.toMatchObject({
      detail: expect.stringContaining('stream handler failed'),
    });
    const after = await stats();
    expect(after.requests - before.requests).toBe(2);
    expect(after.errors - before.errors).toBe(1);
    expect(latencyTotal(after) - latencyTotal(before)).toBe(1); // the Debug.Stats call only
  });

  it('a stream refused before it runs (unknown endpoint) counts as an error, as a refused call does', async () => {
    const before = await stats();
    const replies = client.stream('counted', 'Counted.Missing', from([{ n: 1 }]));
    await expect(lastValueFrom(replies.pipe(toArray()))).rejects.toMatchObject({ code: 404 });
    const after = await stats();
    expect(after.requests - before.requests).toBe(2);
    expect(after.errors - before.errors).toBe(1);
  });
});
