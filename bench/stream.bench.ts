/**
 * Stream throughput: messages per second through one stream between two Nest apps in this process
 * (server and client share one core, so figures are conservative), JSON bodies of ~20 bytes.
 * - server → client: one request, N replies from an Observable (`range`);
 * - server → client, pulled: the same from an async generator (pulled per window);
 * - echo: N requests and N replies on one stream (messages counted each way);
 * - 100 concurrent echo streams of N/100 messages.
 * On the framed TCP transport (the fast one), and on go-micro's HTTP framing for comparison.
 * Best of 3 rounds. Run: node --import ./scripts/register-ts.mjs bench/stream.bench.ts [N]
 */
import 'reflect-metadata';
import { Controller, Logger, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { count, from, lastValueFrom, map, range, switchMap, take, type Observable } from 'rxjs';
import { createTransport } from 'nest-micro/transport';
import { Handler, MicroClient, MicroModule, MicroServer } from 'nest-micro';
import { MemoryBroker } from 'nest-micro/broker';
import { MemoryRegistry } from 'nest-micro/registry';

const N = Number(process.argv[2] ?? 200_000);
Logger.overrideLogger(false);

@Controller()
class BenchController {
  @Handler('Bench.Count', { stream: true })
  count(@Payload() requests: Observable<{ count: number }>): Observable<{ n: number }> {
    return requests.pipe(
      take(1),
      switchMap((r) => range(0, r.count).pipe(map((n) => ({ n })))),
    );
  }

  @Handler('Bench.Pull', { stream: true })
  pull(@Payload() requests: Observable<{ count: number }>): AsyncIterable<{ n: number }> {
    const first = new Promise<number>((resolve) => requests.subscribe((r) => resolve(r.count)));
    return (async function* () {
      const c = await first;
      for (let n = 0; n < c; n++) yield { n };
    })();
  }

  @Handler('Bench.Echo', { stream: true })
  echo(@Payload() requests: Observable<{ n: number }>): Observable<{ n: number }> {
    return requests;
  }
}

async function start(transport: 'tcp' | 'http'): Promise<{ client: MicroClient; stop: () => Promise<void> }> {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'bench',
        address: '127.0.0.1:0',
        registry,
        broker,
        env: false,
        transport: createTransport(transport),
      }),
    ],
    controllers: [BenchController],
  })
  class ServiceModule {}
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'caller',
        registry,
        broker,
        env: false,
        transport: createTransport(transport),
      }),
      MicroModule.registerClients([{ name: 'BENCH', service: 'bench' }]),
    ],
  })
  class CallerModule {}
  const service = (
    await Test.createTestingModule({ imports: [ServiceModule] }).compile()
  ).createNestMicroservice(MicroServer.fromModule());
  await service.listen();
  const caller = (
    await Test.createTestingModule({ imports: [CallerModule] }).compile()
  ).createNestApplication();
  await caller.init();
  return {
    client: caller.get<MicroClient>('BENCH'),
    stop: async () => {
      await caller.close();
      await service.close();
    },
  };
}

async function best(run: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    const messages = await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    top = Math.max(top, messages / seconds);
  }
  return Math.round(top);
}

const rows: string[] = [];
for (const transport of ['tcp', 'http'] as const) {
  const { client, stop } = await start(transport);
  const pushed = await best(async () => {
    const got = await lastValueFrom(client.stream('Bench.Count', from([{ count: N }])).pipe(count()));
    if (got !== N) throw new Error(`expected ${N} replies, got ${got}`);
    return N;
  });
  const pulled = await best(async () => {
    let got = 0;
    for await (const _ of client.stream('Bench.Pull', from([{ count: N }]))) got++;
    if (got !== N) throw new Error(`expected ${N} replies, got ${got}`);
    return N;
  });
  const echo = await best(async () => {
    const half = N / 2;
    const got = await lastValueFrom(
      client.stream('Bench.Echo', range(0, half).pipe(map((n) => ({ n })))).pipe(count()),
    );
    if (got !== half) throw new Error(`expected ${half} echoes, got ${got}`);
    return half * 2;
  });
  const concurrent = await best(async () => {
    const each = N / 200;
    const all = await Promise.all(
      Array.from({ length: 100 }, () =>
        lastValueFrom(client.stream('Bench.Echo', range(0, each).pipe(map((n) => ({ n })))).pipe(count())),
      ),
    );
    if (all.some((c) => c !== each)) throw new Error('lost echoes');
    return each * 2 * 100;
  });
  rows.push(
    `| ${transport} | ${pushed.toLocaleString('en')} | ${pulled.toLocaleString('en')} | ${echo.toLocaleString('en')} | ${concurrent.toLocaleString('en')} |`,
  );
  await stop();
}

console.log(`stream throughput, messages/s (N=${N.toLocaleString('en')}, best of 3, one process)\n`);
console.log(
  '| transport | server→client (Observable) | server→client (async generator) | echo, both ways | 100 echo streams |',
);
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(row);
