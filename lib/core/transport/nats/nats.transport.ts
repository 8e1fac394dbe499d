/**
 * The NATS transport ("nats"), wire compatible with go-micro's transport/nats: a node's address is
 * a NATS subject (a fresh `_INBOX.…` for the default listen address, as go-micro takes), calls and
 * streams are NATS messages carrying go-micro's JSON transport message, answers come back on the
 * caller's reply subject. A fleet on it needs only a NATS server: no node dials another.
 * Client half: nats.client.ts; server half: nats.listener.ts; wire: nats.wire.ts.
 */
import type {
  Acceptor,
  DialOptions,
  Listener,
  ListenOptions,
  Transport,
  TransportClient,
} from '../transport.js';
import { NatsClientSide, NatsTransportClient } from './nats.client.js';
import { listenNats } from './nats.listener.js';
import {
  resolveNatsTransportOptions,
  type NatsTransportOptions,
  type ResolvedNatsTransportOptions,
} from './nats.options.js';

export class NatsTransport implements Transport {
  readonly name: string = 'nats';
  private readonly resolved: ResolvedNatsTransportOptions;
  private readonly side: NatsClientSide;
  private readonly clients = new Map<string, NatsTransportClient>();

  constructor(readonly options: NatsTransportOptions = {}) {
    this.resolved = resolveNatsTransportOptions(options);
    this.side = new NatsClientSide(this.resolved);
  }

  /** The NATS servers as MICRO_TRANSPORT_ADDRESS gives them ("host:port[,host:port]"). */
  static fromAddress(address?: string, options: NatsTransportOptions = {}): NatsTransport {
    return new NatsTransport(address ? { ...options, servers: address } : options);
  }

  listen(address: string, acceptor: Acceptor, options: ListenOptions = {}): Promise<Listener> {
    return listenNats(address, acceptor, options, this.resolved);
  }

  dial(address: string, _options?: DialOptions): TransportClient {
    let client = this.clients.get(address);
    if (!client) this.clients.set(address, (client = new NatsTransportClient(address, this.side)));
    return client;
  }

  async close(): Promise<void> {
    this.clients.clear();
    await this.side.close();
  }
}
