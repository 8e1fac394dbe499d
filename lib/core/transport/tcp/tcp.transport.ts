/**
 * The framed TCP transport ("tcp"): nest-micro's fast Node↔Node wire. Length-prefixed binary
 * frames, many calls and streams multiplexed per connection, batched writes, per-stream flow
 * control, optional TLS. Its listen port also serves go-micro's HTTP transport, so one advertised
 * address answers Go and Node callers. Wire format: protocol.ts.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type {
  Acceptor,
  DialOptions,
  HttpTimeouts,
  Listener,
  Transport,
  TransportClient,
} from '../transport.js';
import { HEADER_ROOM } from './protocol.js';
import { TcpClient } from './tcp.client.js';
import { listenTcp, type TcpListenOptions } from './tcp.listener.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';

export interface TcpTransportOptions {
  /** Multiplexed connections per node address (default 1). */
  poolSize?: number;
  /** A connection with nothing in flight for this many ms is closed (default 60 s; 0 = never). */
  idleTimeout?: number;
  /** Connect (and TLS handshake) timeout in ms (default 5 s). */
  connectTimeout?: number;
  /** Largest reply frame payload a client accepts (default 4 MiB + 64 KiB). */
  maxFrame?: number;
  /** Largest request frame payload a client sends (default 4 MiB + 64 KiB, the server's default). */
  peerMaxFrame?: number;
  /** TLS for every dial that brings no options of its own. */
  tls?: TlsOptions;
  /** Timeouts of the go-micro HTTP connections this port also serves (defaults in http.server.ts). */
  httpTimeouts?: HttpTimeouts;
  /** The server closes a framed connection idle this long, ms (default 5 min; 0 = never). */
  serverIdleTimeout?: number;
  /**
   * The server resets a framed stream on which no message moved either way this long with a 408,
   * ms (default 5 min; 0 = never). go-micro HTTP streams on this port: `httpTimeouts.streamIdleTimeout`.
   */
  serverStreamIdleTimeout?: number;
}

export class TcpTransport implements Transport {
  readonly name: string = 'tcp';
  private readonly clients = new Map<string, TcpClient>();
  private tlsClients = new WeakMap<TlsOptions, Map<string, TcpClient>>();
  private readonly all = new Set<TcpClient>();

  constructor(readonly options: TcpTransportOptions = {}) {}

  listen(address: string, acceptor: Acceptor, options: TcpListenOptions = {}): Promise<Listener> {
    const httpTimeouts = { ...this.options.httpTimeouts, ...options.httpTimeouts };
    const idleTimeout = options.idleTimeout ?? this.options.serverIdleTimeout;
    const streamIdleTimeout = options.streamIdleTimeout ?? this.options.serverStreamIdleTimeout;
    return listenTcp(address, acceptor, { ...options, httpTimeouts, idleTimeout, streamIdleTimeout });
  }

  dial(address: string, options?: DialOptions): TransportClient {
    const tls = options?.tls ?? this.options.tls;
    let table = this.clients;
    if (tls) {
      table = this.tlsClients.get(tls) ?? new Map<string, TcpClient>();
      this.tlsClients.set(tls, table);
    }
    let client = table.get(address);
    if (client === undefined) {
      const o = this.options;
      const frame = DEFAULT_MAX_BODY + HEADER_ROOM;
      client = new TcpClient(address, {
        poolSize: o.poolSize ?? 1,
        idleTimeout: o.idleTimeout ?? 60_000,
        connectTimeout: o.connectTimeout ?? 5_000,
        maxFrame: o.maxFrame ?? frame,
        peerMaxFrame: o.peerMaxFrame ?? frame,
        tls,
      });
      table.set(address, client);
      this.all.add(client);
    }
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.all) client.close();
    this.all.clear();
    this.clients.clear();
    this.tlsClients = new WeakMap();
  }
}
