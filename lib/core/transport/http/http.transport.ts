/**
 * The HTTP transport (go-micro's default, wire compatible): a go-micro client can call a
 * nest-micro service and the other way round, unary calls and streams (go-micro's `Micro-Stream`
 * framing, a connection per stream; see http.accept.ts).
 */
import type { Pool } from 'undici';
import type { AddressInfo, Socket } from 'node:net';
import type {
  Acceptor,
  DialOptions,
  HttpTimeouts,
  Listener,
  ListenOptions,
  Transport,
  TransportClient,
} from '../transport.js';
import { undici } from '../../drivers.js';
import { listenOn } from '../transport.js';
import { joinHostPort, splitHostPort } from '../../net/address.js';
import { HttpTransportClient } from './http.client.js';
import { createHttpAcceptor } from './http.accept.js';

export interface HttpTransportOptions {
  /** Most open connections per node address (default 100, as go-micro's pool). */
  poolSize?: number;
  /** Idle connections are closed after this many ms (default 60 s). */
  poolTTL?: number;
  /** The server's headers/request/keep-alive timeouts (defaults in http.server.ts). */
  httpTimeouts?: HttpTimeouts;
}

export class HttpTransport implements Transport {
  readonly name: string = 'http';
  private readonly clients = new Map<string, { client: HttpTransportClient; pool: Pool }>();

  constructor(readonly options: HttpTransportOptions = {}) {}

  async listen(address: string, acceptor: Acceptor, options: ListenOptions = {}): Promise<Listener> {
    const httpTimeouts = { ...this.options.httpTimeouts, ...options.httpTimeouts };
    const http = createHttpAcceptor(acceptor, { ...options, httpTimeouts });
    const server = http.server;
    // every connection is looked at first: go-micro stream connections are served apart
    const [serveHttp] = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) =>
      http.accept(socket, Buffer.alloc(0), (s, bytes) => {
        if (bytes.length > 0) s.unshift(bytes);
        serveHttp!.call(server, s);
      }),
    );
    await listenOn(server, address);
    const bound = server.address() as AddressInfo;
    return {
      address: joinHostPort(bound.address, bound.port),
      close: (graceMs = 5_000) =>
        new Promise<void>((resolve) => {
          http.close(graceMs);
          const force = setTimeout(() => server.closeAllConnections(), graceMs);
          // Replies written in this tick are still corked: let them reach the socket first.
          setImmediate(() => {
            server.close(() => {
              clearTimeout(force);
              resolve();
            });
            server.closeIdleConnections();
          });
        }),
    };
  }

  dial(address: string, _options?: DialOptions): TransportClient {
    let entry = this.clients.get(address);
    if (!entry) {
      const { host, port } = splitHostPort(address);
      const pool = new (undici().Pool)(`http://${joinHostPort(host || '127.0.0.1', port)}`, {
        connections: this.options.poolSize ?? 100,
        keepAliveTimeout: this.options.poolTTL ?? 60_000,
        keepAliveMaxTimeout: this.options.poolTTL ?? 60_000,
        pipelining: 1,
      });
      entry = { client: new HttpTransportClient(address, pool), pool };
      this.clients.set(address, entry);
    }
    return entry.client;
  }

  async close(): Promise<void> {
    const pools = [...this.clients.values()].map((e) => e.pool);
    this.clients.clear();
    await Promise.allSettled(pools.map((p) => p.destroy()));
  }
}
