/**
 * One node of the chaos benchmark's service, a Nest microservice as users write one. It finds its
 * registry through MICRO_REGISTRY / MICRO_REGISTRY_ADDRESS (mDNS on 127.0.0.1 or a Consul agent) and
 * runs on the default transport. Endpoints:
 * - `Chaos.Hello`: a small reply after 1 ms of I/O; after SIGUSR2 every other call throws a 503
 *   instead (the "node that answers 503 for half its calls"); another SIGUSR2 heals it.
 * - `Chaos.Work`: bound by a pool of CHAOS_POOL slots (a database pool, say) held CHAOS_WORK_MS each;
 *   calls wait for a slot in the pool's own queue. With CHAOS_SHED=on the handler's `maxConcurrent`
 *   is the pool size and `maxQueued` as much again, so excess is shed at once (503) instead of
 *   queueing in the pool; with CHAOS_SHED=off every limit is off.
 * Prints `node ready <address>` once it is registered.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { Handler, MicroError, MicroModule, MicroServer } from 'nest-micro';

const env = process.env;
let failHalf = false;
process.on('SIGUSR2', () => (failHalf = !failHalf));
const shed = env.CHAOS_SHED !== 'off';
const poolSize = Number(env.CHAOS_POOL ?? 2);
const workMs = Number(env.CHAOS_WORK_MS ?? 5);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A counting pool whose waiters queue without bound, as a connection pool's do. */
class Pool {
  private free = poolSize;
  private readonly waiting: Array<() => void> = [];
  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
const pool = new Pool();

@Controller()
class ChaosController {
  private calls = 0;

  @Handler('Chaos.Hello')
  async hello(@Payload() req: { name: string }): Promise<{ msg: string }> {
    if (failHalf && this.calls++ % 2 === 0) throw new MicroError('chaos.node', 'injected failure', 503);
    await sleep(1);
    return { msg: `Hello ${req.name}` };
  }

  @Handler(
    'Chaos.Work',
    shed ? { maxConcurrent: poolSize, maxQueued: poolSize } : { maxConcurrent: Infinity },
  )
  async work(): Promise<{ ok: boolean }> {
    await pool.use(() => sleep(workMs));
    return { ok: true };
  }
}

@Module({
  imports: [
    MicroModule.forRoot({
      name: env.CHAOS_SERVICE ?? 'chaos',
      address: '127.0.0.1:0',
      ...(shed ? {} : { maxConcurrent: Infinity }),
    }),
  ],
  controllers: [ChaosController],
})
class NodeModule {}

const app = await NestFactory.createMicroservice(NodeModule, { ...MicroServer.fromModule(), logger: false });
app.enableShutdownHooks(['SIGTERM', 'SIGINT']); // not SIGUSR2: it toggles the injected failures
await app.listen();
console.log(`node ready ${app.get(MicroServer).address}`);
