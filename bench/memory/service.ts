/**
 * The service bench/memory.bench.ts (and test/integration/server/memory-bounds.test.ts) measures, run as a
 * child process so its memory can be read from outside: a Nest microservice with MicroModule on the
 * `http` or `tcp` transport (memory registry and broker, 127.0.0.1, port chosen by the OS), with
 * - `Memory.Hello`: a small unary call (the "good calls");
 * - `Memory.Big`: a unary reply of `size` bytes (at most 4 MiB), for readers that never read;
 * - `Memory.Feed`: a server stream, an async generator yielding `size`-byte messages for ever; it
 *   is pulled only while the client's window (tcp) or the socket's buffer (http) has room.
 * The transport's timeouts come from the command line (`--headers-timeout --request-timeout
 * --keep-alive-timeout --idle-timeout`, ms; unset: the defaults). It prints `READY <address>`, then
 * answers one JSON line per line on stdin: `stats` → process.memoryUsage(), open server
 * connections, stream messages produced, streams open and large replies made; `gc` → the same after two full GCs
 * (needs --expose-gc).
 */
import 'reflect-metadata';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { firstValueFrom, type Observable } from 'rxjs';
import { Handler, MicroModule, MicroServer } from 'nest-micro';
import { HttpTransport, TcpTransport, type HttpTimeouts, type Transport } from 'nest-micro/transport';
import { MemoryBroker } from 'nest-micro/broker';
import { MemoryRegistry } from 'nest-micro/registry';

const { values: args } = parseArgs({
  options: {
    transport: { type: 'string', default: 'tcp' },
    'headers-timeout': { type: 'string' },
    'request-timeout': { type: 'string' },
    'keep-alive-timeout': { type: 'string' },
    'idle-timeout': { type: 'string' },
  },
});
const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const httpTimeouts: HttpTimeouts = {};
for (const [key, flag] of [
  ['headersTimeout', 'headers-timeout'],
  ['requestTimeout', 'request-timeout'],
  ['keepAliveTimeout', 'keep-alive-timeout'],
] as const) {
  const value = ms(args[flag]);
  if (value !== undefined) httpTimeouts[key] = value;
}
const transport: Transport =
  args.transport === 'http'
    ? new HttpTransport({ httpTimeouts })
    : new TcpTransport({ httpTimeouts, serverIdleTimeout: ms(args['idle-timeout']) });

const MAX_SIZE = 4 * 1024 * 1024 - 1024;
const counters = { produced: 0, feeds: 0, bigReplies: 0, connections: 0 };

@Controller()
class MemoryController {
  @Handler('Memory.Hello')
  hello(@Payload() req: { name: string }): { msg: string } {
    return { msg: `Hello ${req.name}` };
  }

  @Handler('Memory.Big')
  big(@Payload() req: { size: number }): { data: string } {
    counters.bigReplies++;
    return { data: 'x'.repeat(Math.min(MAX_SIZE, Math.max(0, Number(req.size) || 0))) };
  }

  @Handler('Memory.Feed', { stream: true })
  async *feed(
    @Payload() requests: Observable<{ size: number }>,
  ): AsyncGenerator<{ seq: number; data: string }> {
    const { size } = await firstValueFrom(requests);
    const data = 'x'.repeat(Math.min(MAX_SIZE, Math.max(0, Number(size) || 0)));
    counters.feeds++;
    try {
      for (let seq = 0; ; seq++) {
        counters.produced++;
        yield { seq, data };
      }
    } finally {
      counters.feeds--;
    }
  }
}

const registry = new MemoryRegistry();

@Module({
  imports: [
    MicroModule.forRoot({
      name: 'memory-bench',
      address: '127.0.0.1:0',
      registry,
      broker: new MemoryBroker(),
      transport,
      propagationDelay: 0,
      env: false,
    }),
  ],
  controllers: [MemoryController],
})
class MemoryModule {}

const app = await NestFactory.createMicroservice(MemoryModule, {
  ...MicroServer.fromModule(),
  logger: ['error'],
});
await app.listen();
const address = app.get(MicroServer).address!;
const port = Number(address.split(':').at(-1));
subscribe('net.server.socket', (message) => {
  const socket = (message as { socket: Socket }).socket;
  if (socket.localPort !== port) return;
  counters.connections++;
  socket.once('close', () => counters.connections--);
});

function stats(): string {
  return JSON.stringify({ ...process.memoryUsage(), ...counters });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'gc') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
  }
  if (command === 'gc' || command === 'stats') process.stdout.write(`${stats()}\n`);
});
process.stdin.once('end', () => void app.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
console.log(`READY ${address}`);
