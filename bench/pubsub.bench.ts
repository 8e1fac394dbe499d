/**
 * Pub/sub benchmark: publish→deliver throughput and p99 latency, through Nest apps, for nest-micro's
 * Redis broker (broadcast over Pub/Sub and a queue group over streams), its NATS broker (broadcast
 * over core NATS and a queue group over JetStream), nest-micro's HTTP broker (the default; memory
 * registry, so the broker and not discovery is measured) and Nest's own Redis transport emitting
 * events (@nestjs/microservices Transport.REDIS on ioredis) and Moleculer's events over its NATS
 * transporter (`broker.broadcast`, and `broker.emit` balanced to the subscriber's group; the
 * deprecated `nats` v2 package it requires is a dev dependency), in the same run.
 *
 * Each peer: a subscriber app and a publishing client in this process, on loopback, against a
 * redis-server or `nats-server -js` this bench starts on a free port (and stops by pid). Per round TOTAL messages are
 * published with WINDOW publishes outstanding; each carries its send time and the handler records
 * the latency. Throughput = messages / (first publish → last delivery). Warm-up, then ROUNDS
 * rounds; medians (min–max) printed as a Markdown table, with the CPU time per message of this
 * process (publisher and subscriber together) and of the broker's server (redis-server or
 * nats-server, from /proc, 10 ms steps), which
 * hold better than msg/s on a machine that is busy with something else. Everything is bounded: a round that does
 * not complete within 60 s reports what was lost.
 * Run: npm run bench:pubsub -- [--total 5000] [--rounds 3] (built: dist/bench/pubsub.bench.js)
 *   [--window 64]
 *   [--peers redis-broadcast,redis-queue,nats-broadcast,nats-queue,moleculer-nats-broadcast,
 *            moleculer-nats-emit,http-broadcast,http-queue,nest-redis]
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  Controller,
  Logger,
  Module,
  type INestApplicationContext,
  type INestMicroservice,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  EventPattern,
  Payload,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { ServiceBroker, type BrokerOptions, type Context } from 'moleculer';
import { firstValueFrom } from 'rxjs';
import { HttpBroker, NatsBroker, RedisBroker, type Broker } from 'nest-micro/broker';
import { MemoryRegistry, type Registry } from 'nest-micro/registry';
import { MicroClient, MicroModule, MicroServer, Subscriber } from 'nest-micro';
import { startNats, type NatsServer } from '../test/support/nats.js';
import { startRedis } from '../test/support/redis.js';
import { cpuSeconds } from './cpu.js';

const { values: args } = parseArgs({
  options: {
    total: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    window: { type: 'string', default: '64' },
    peers: { type: 'string', default: '' },
  },
});
const TOTAL = Number(args.total);
const ROUNDS = Number(args.rounds);
const WINDOW = Number(args.window);
const WARMUP = Math.min(1_000, TOTAL);
/** `--peers redis-queue,http-broadcast`: only these (keys below); all when empty. */
const PEERS = args.peers ? args.peers.split(',') : [];

interface Sample {
  t: number;
}
/** What the handlers feed: the round in progress. */
const sink = { received: 0, expected: 0, latencies: [] as number[], last: 0, done: () => {} };
function record(sample: Sample): void {
  const now = performance.now();
  sink.latencies.push(now - sample.t);
  sink.last = now;
  if (++sink.received === sink.expected) sink.done();
}

@Controller()
class MicroSubscribers {
  @Subscriber('bench.broadcast')
  broadcast(@Payload() s: Sample): void {
    record(s);
  }

  @Subscriber('bench.queue', { queue: 'bench' })
  queue(@Payload() s: Sample): void {
    record(s);
  }
}

@Controller()
class NestRedisSubscribers {
  @EventPattern('bench.nest')
  handle(@Payload() s: Sample): void {
    record(s);
  }
}

interface Peer {
  name: string;
  /** The broker's server process (its CPU is measured), if it has one. */
  serverPid?: number;
  publish(sample: Sample): Promise<unknown>;
  close(): Promise<void>;
}

async function microPeer(
  name: string,
  topic: string,
  broker: () => Broker,
  registry: Registry,
  serverPid?: number,
): Promise<Peer> {
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'bench-sub',
        address: '127.0.0.1:0',
        registry,
        broker: broker(),
        env: false,
      }),
    ],
    controllers: [MicroSubscribers],
  })
  class SubscriberModule {}
  @Module({ imports: [MicroModule.forRoot({ name: 'bench-pub', registry, broker: broker(), env: false })] })
  class PublisherModule {}
  const server: INestMicroservice = await NestFactory.createMicroservice(
    SubscriberModule,
    MicroServer.fromModule(),
  );
  await server.listen();
  const app: INestApplicationContext = await NestFactory.createApplicationContext(PublisherModule);
  const client = app.get(MicroClient);
  return {
    name,
    serverPid,
    publish: (sample) => client.publish(topic, sample),
    close: async () => {
      await app.close();
      await server.close();
    },
  };
}

async function nestRedisPeer(port: number): Promise<Peer> {
  @Module({ controllers: [NestRedisSubscribers] })
  class NestModule {}
  const options = { host: '127.0.0.1', port };
  const server = await NestFactory.createMicroservice(NestModule, { transport: Transport.REDIS, options });
  await server.listen();
  const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.REDIS, options });
  await client.connect();
  return {
    name: 'Nest Transport.REDIS (emit)',
    serverPid: redisPid,
    publish: (sample) => firstValueFrom(client.emit('bench.nest', sample), { defaultValue: undefined }),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/**
 * Moleculer over its NATS transporter: a subscriber node with a `bench.moleculer` event handler and a
 * publishing node, both on the nats-server. `broadcast` reaches every node listening; `emit` goes to
 * one node per event group (the subscriber service's name), Moleculer's queue-like delivery.
 */
async function moleculerNatsPeer(server: NatsServer, method: 'broadcast' | 'emit'): Promise<Peer> {
  const options = (nodeID: string): BrokerOptions => ({
    nodeID,
    namespace: `bench-pubsub-${server.port}-${method}`,
    logger: false,
    metrics: false,
    tracing: false,
    transporter: { type: 'NATS', options: { url: server.url } },
  });
  const subscriber = new ServiceBroker(options('bench-sub'));
  subscriber.createService({
    name: 'bench-sub',
    events: {
      'bench.moleculer'(ctx: Context<Sample>) {
        record(ctx.params);
      },
    },
  });
  const publisher = new ServiceBroker(options('bench-pub'));
  await subscriber.start();
  await publisher.start();
  await publisher.waitForServices('bench-sub', 10_000);
  return {
    name: `Moleculer 0.15 NATS transporter, events (${method === 'broadcast' ? '`broadcast`' : '`emit`, balanced'})`,
    serverPid: server.pid(),
    publish: (sample) => publisher[method]('bench.moleculer', sample),
    close: async () => {
      await publisher.stop();
      await subscriber.stop();
    },
  };
}

interface Round {
  rate: number;
  p50: number;
  p99: number;
  lost: number;
  /** CPU µs per message delivered: this process, the broker's server. */
  cpu: number;
  serverCpu: number;
}

/** The redis-server's pid, for its CPU time. */
let redisPid = 0;

async function round(peer: Peer, total: number): Promise<Round> {
  const cpu0 = process.cpuUsage();
  const serverPid = peer.serverPid ?? 0;
  const server0 = serverPid ? (cpuSeconds(serverPid) ?? NaN) : NaN;
  Object.assign(sink, { received: 0, expected: total, latencies: [], last: 0 });
  const delivered = new Promise<void>((resolve) => (sink.done = resolve));
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      await peer.publish({ t: performance.now() });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([delivered, new Promise((r) => (timer = setTimeout(r, 60_000)))]);
  clearTimeout(timer);
  const cpu = process.cpuUsage(cpu0);
  const serverUsed = (serverPid ? (cpuSeconds(serverPid) ?? NaN) : NaN) - server0;
  const latencies = sink.latencies.toSorted((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    rate: (sink.received / (sink.last - start)) * 1_000,
    p50: at(0.5),
    p99: at(0.99),
    lost: total - sink.received,
    cpu: (cpu.user + cpu.system) / sink.received,
    serverCpu: (serverUsed * 1e6) / sink.received,
  };
}

const median = (xs: number[]): number => xs.toSorted((a, b) => a - b)[xs.length >> 1]!;
const fmt = (xs: number[], digits: number): string =>
  xs.every(Number.isNaN)
    ? '—'
    : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const redis = await startRedis();
  redisPid = redis.pid();
  const registry = new MemoryRegistry();
  /** Started for the first NATS peer. */
  let nats: NatsServer | undefined;
  const natsServer = async (): Promise<NatsServer> => (nats ??= await startNats());
  const rows: string[] = [];
  const factories: Array<[string, () => Promise<Peer>]> = [
    [
      'redis-broadcast',
      () =>
        microPeer(
          'nest-micro Redis broker, broadcast (Pub/Sub)',
          'bench.broadcast',
          () => new RedisBroker({ url: redis.url, keyPrefix: 'bench:' }),
          registry,
          redisPid,
        ),
    ],
    [
      'redis-queue',
      () =>
        microPeer(
          'nest-micro Redis broker, queue group (Streams)',
          'bench.queue',
          () => new RedisBroker({ url: redis.url, keyPrefix: 'bench:' }),
          registry,
          redisPid,
        ),
    ],
    [
      'nats-broadcast',
      async () => {
        const server = await natsServer();
        return microPeer(
          'nest-micro NATS broker, broadcast (core NATS)',
          'bench.broadcast',
          () => new NatsBroker({ servers: server.url }),
          registry,
          server.pid(),
        );
      },
    ],
    [
      'nats-queue',
      async () => {
        const server = await natsServer();
        return microPeer(
          'nest-micro NATS broker, queue group (JetStream)',
          'bench.queue',
          () => new NatsBroker({ servers: server.url }),
          registry,
          server.pid(),
        );
      },
    ],
    ['moleculer-nats-broadcast', async () => moleculerNatsPeer(await natsServer(), 'broadcast')],
    ['moleculer-nats-emit', async () => moleculerNatsPeer(await natsServer(), 'emit')],
    [
      'http-broadcast',
      () =>
        microPeer(
          'nest-micro HTTP broker (default), broadcast',
          'bench.broadcast',
          () => new HttpBroker({ registry }),
          registry,
        ),
    ],
    [
      'http-queue',
      () =>
        microPeer(
          'nest-micro HTTP broker (default), queue group',
          'bench.queue',
          () => new HttpBroker({ registry }),
          registry,
        ),
    ],
    ['nest-redis', () => nestRedisPeer(redis.port)],
  ];
  try {
    for (const [key, create] of factories) {
      if (PEERS.length && !PEERS.includes(key)) continue;
      const peer = await create();
      try {
        await round(peer, WARMUP);
        const results: Round[] = [];
        for (let r = 0; r < ROUNDS; r++) results.push(await round(peer, TOTAL));
        const lost = results.reduce((n, r) => n + r.lost, 0);
        rows.push(
          `| ${peer.name} | ${fmt(
            results.map((r) => r.rate),
            0,
          )} | ${fmt(
            results.map((r) => r.p50),
            2,
          )} | ${fmt(
            results.map((r) => r.p99),
            2,
          )} | ${lost} | ${fmt(
            results.map((r) => r.cpu),
            1,
          )} | ${fmt(
            results.map((r) => r.serverCpu),
            1,
          )} |`,
        );
        console.error(rows.at(-1));
      } finally {
        await peer.close();
      }
    }
  } finally {
    await redis.dispose();
    await nats?.dispose();
  }
  console.log(
    `\npublish→deliver, ${TOTAL} messages per round, ${WINDOW} publishes in flight, ${ROUNDS} rounds (median (min–max)), Node ${process.version}, loopback, one process\n`,
  );
  console.log(
    '| peer | msg/s | p50 ms | p99 ms | lost | CPU µs/msg (this process) | broker server CPU µs/msg (redis-server / nats-server) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

await main();
process.exit(0);
