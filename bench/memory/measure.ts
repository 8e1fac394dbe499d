/**
 * What bench/memory.bench.ts reads from the memory service while hostile clients hold it: good
 * calls made through a real MicroClient (by address, on the service's transport) with their
 * outcome and slowest latency; the service's RSS and heap now, after a GC, and at their peak
 * (RSS: the kernel's VmHWM since the baseline, and samples; heap: samples every 250 ms).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createTransport } from 'nest-micro/transport';
import { MemoryRegistry } from 'nest-micro/registry';
import { MicroClient, MicroModule } from 'nest-micro';
import type { MemoryService } from './child.js';
import { waitFor } from '../../test/support/processes.js';

export interface Probe {
  ok: number;
  total: number;
  maxMs: number;
}

export interface GoodCaller {
  probe(address: string, calls: number): Promise<Probe>;
  close(): Promise<void>;
}

/** A Nest app context whose MicroClient calls the memory service on `transport`. */
export async function goodCaller(transport: 'http' | 'tcp'): Promise<GoodCaller> {
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'memory-bench-caller',
        registry: new MemoryRegistry(),
        transport: createTransport(transport),
        env: false,
      }),
      MicroModule.registerClients([{ name: 'MEMORY', service: 'memory-bench' }]),
    ],
  })
  class CallerModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(CallerModule, {
    logger: false,
  });
  const client = app.get<MicroClient>('MEMORY');
  return {
    async probe(address, calls) {
      const result: Probe = { ok: 0, total: calls, maxMs: 0 };
      for (let i = 0; i < calls; i++) {
        const start = performance.now();
        try {
          await client.call('memory-bench', 'Memory.Hello', { name: 'good' }, { address, timeout: 5_000 });
          result.ok++;
        } catch {
          /* counted as failed */
        }
        result.maxMs = Math.max(result.maxMs, performance.now() - start);
      }
      return result;
    },
    close: () => app.close(),
  };
}

export interface Memory {
  rss: number;
  heap: number;
}

export async function snapshot(service: MemoryService, gc: boolean): Promise<Memory> {
  const stats = gc ? await service.gc() : await service.stats();
  return { rss: service.rss(), heap: stats.heapUsed };
}

/** Samples the service's memory until stopped; the peak includes the kernel's RSS high-water mark. */
export function sample(service: MemoryService): { stop(): Memory } {
  const peak: Memory = { rss: 0, heap: 0 };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    service
      .stats()
      .then((stats) => {
        peak.heap = Math.max(peak.heap, stats.heapUsed);
        peak.rss = Math.max(peak.rss, service.rss());
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return { rss: Math.max(peak.rss, service.peakRss()), heap: peak.heap };
    },
  };
}

/** Waits until `read()` has not changed for `polls` polls of 250 ms, or `timeoutMs` passed. */
export async function stable(read: () => Promise<number>, timeoutMs: number, polls = 4): Promise<number> {
  let last = Number.NaN;
  let same = 0;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await read();
    same = now === last ? same + 1 : 0;
    last = now;
    if (same >= polls) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** Waits (at most `timeoutMs`) until the service has at most `n` connections; the time it took. */
export async function connectionsDownTo(
  service: MemoryService,
  n: number,
  timeoutMs: number,
): Promise<number | undefined> {
  const start = performance.now();
  try {
    await waitFor(async () => (await service.stats()).connections <= n, timeoutMs, 'connections');
    return performance.now() - start;
  } catch {
    return undefined;
  }
}
