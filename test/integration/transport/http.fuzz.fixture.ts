/**
 * The service the HTTP-wire fuzz runs against: a Nest service and a caller (MicroClient) over a
 * MemoryRegistry, on the `http` or the `tcp` transport, with endpoints that echo, fail with a
 * detail the caller chooses, and stream. Also counts the service's open server connections
 * (diagnostics_channel `net.server.socket`) and makes raw go-micro-style HTTP exchanges.
 */
import 'reflect-metadata';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { map, type Observable } from 'rxjs';
import { createTransport } from '../../../lib/core/transport/index.js';
import { Handler, MicroClient, MicroError, MicroModule } from '../../../lib/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { Http1Parser, type Parsed } from '../../../lib/core/transport/http/http1-parser.js';
import { startPair, type AppPair } from '../../support/apps.js';

export const MAX_BODY = 16 * 1024;

@Controller()
export class FuzzController {
  @Handler('Fuzz.Echo')
  echo(@Payload() request: unknown): unknown {
    return request ?? {};
  }

  /** Fails with the detail it is given, whatever it holds. */
  @Handler('Fuzz.Fail')
  fail(@Payload() request: { detail: string }): never {
    throw new MicroError('fuzz.fail', request.detail, 409);
  }

  @Handler('Fuzz.Stream', { stream: true })
  stream(@Payload() requests: Observable<unknown>): Observable<unknown> {
    return requests.pipe(map((r) => r ?? {}));
  }

  /** Fails at the first message, with the detail it carries. */
  @Handler('Fuzz.FailStream', { stream: true })
  failStream(@Payload() requests: Observable<{ detail: string }>): Observable<never> {
    return requests.pipe(
      map((r) => {
        throw new MicroError('fuzz.fail', r.detail, 409);
      }),
    );
  }
}

export interface FuzzApp {
  pair: AppPair;
  client: MicroClient;
  address: string;
  port: number;
  /** The service's server-side sockets still open. */
  open: Set<Socket>;
  /** Stops counting connections. */
  untrack(): void;
}

export async function startFuzzApp(transport: 'http' | 'tcp'): Promise<FuzzApp> {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();
  const common = { registry, broker, env: false as const, transport: createTransport(transport) };
  @Module({
    imports: [
      MicroModule.forRoot({ name: 'fuzz', address: '127.0.0.1:0', maxBodySize: MAX_BODY, ...common }),
    ],
    controllers: [FuzzController],
  })
  class ServiceModule {}
  @Module({
    imports: [
      MicroModule.forRoot({ name: 'fuzz-caller', ...common }),
      MicroModule.registerClients([{ name: 'FUZZ', service: 'fuzz' }]),
    ],
  })
  class CallerModule {}

  const open = new Set<Socket>();
  let port = -1;
  const onSocket = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket;
    if (socket.localPort !== port) return;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const pair = await startPair(ServiceModule, CallerModule, false);
  port = Number(pair.address.split(':')[1]);
  subscribe('net.server.socket', onSocket);
  return {
    pair,
    client: pair.caller.get<MicroClient>('FUZZ'),
    address: pair.address,
    port,
    open,
    untrack: () => void unsubscribe('net.server.socket', onSocket),
  };
}

/** A go-micro HTTP request (as its client writes one): `POST /` with the mucp headers. */
export function goMicroRequest(
  endpoint: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): Buffer {
  const headers: Record<string, string> = {
    Host: 'fuzz',
    'Content-Type': 'application/json',
    'Micro-Id': '1',
    'Micro-Service': 'fuzz',
    'Micro-Endpoint': endpoint,
    'Micro-Method': endpoint,
    Timeout: '5000000000',
    ...extra,
  };
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return Buffer.concat([
    Buffer.from(`POST / HTTP/1.1\r\n${lines.join('')}Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'),
    bytes,
  ]);
}

/** A message of go-micro stream `id` to Fuzz.Stream. */
export function streamMessage(id: string, body: string, extra: Record<string, string> = {}): Buffer {
  return goMicroRequest('Fuzz.Stream', body, { 'Micro-Stream': id, ...extra });
}

/**
 * Writes `raw` on a fresh connection and collects the responses until `enough` says so, the
 * connection closes or `deadlineMs` passes; never waits longer.
 */
export function exchange(
  address: string,
  raw: Buffer,
  enough: (got: Parsed[]) => boolean,
  deadlineMs = 5_000,
): Promise<Parsed[]> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const got: Parsed[] = [];
    const socket = connect({ host, port: Number(port) });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, deadlineMs);
    const parser = new Http1Parser('response', 1 << 20, (m) => {
      got.push(m);
      if (enough(got)) done();
    });
    socket.on('data', (d: Buffer) => void parser.push(d));
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(raw);
  });
}
