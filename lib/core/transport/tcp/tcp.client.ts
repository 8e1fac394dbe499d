/**
 * The framed TCP transport's `TransportClient` for one node address: a small pool of multiplexed
 * connections, opened lazily and used round-robin. A connection that died or is draining is
 * replaced on the next call and never reused.
 */
import type { Message, Socket, TransportCallOptions, TransportClient } from '../transport.js';
import { splitHostPort } from '../../net/address.js';
import { ClientConnection, type CallCallback, type ClientConnectionOptions } from './client-connection.js';

export type PoolOptions = Omit<ClientConnectionOptions, 'host' | 'port'> & { poolSize: number };

export class TcpClient implements TransportClient {
  private readonly slots: (ClientConnection | undefined)[];
  private readonly live = new Set<ClientConnection>();
  private readonly connectionOptions: ClientConnectionOptions;
  private next = 0;
  private readonly forget = (connection: ClientConnection): void => {
    this.live.delete(connection);
    const i = this.slots.indexOf(connection);
    if (i >= 0) this.slots[i] = undefined;
  };

  constructor(
    readonly address: string,
    options: PoolOptions,
  ) {
    const { host, port } = splitHostPort(address);
    const { poolSize, ...rest } = options;
    this.connectionOptions = { ...rest, host: host || '127.0.0.1', port };
    this.slots = Array.from({ length: Math.max(1, poolSize) }, () => undefined);
  }

  call(request: Message, options: TransportCallOptions, callback: CallCallback): void {
    this.connection().call(request, options.timeout, callback);
  }

  stream(first: Message): Socket {
    return this.connection().stream(first);
  }

  /** Open connections (draining ones included). */
  get connections(): number {
    return this.live.size;
  }

  close(): void {
    for (const connection of this.live) connection.destroy('client closed');
  }

  private connection(): ClientConnection {
    const i = this.next;
    this.next = i + 1 === this.slots.length ? 0 : i + 1;
    let connection = this.slots[i];
    if (connection === undefined || !connection.usable) {
      connection = new ClientConnection(this.address, this.connectionOptions, this.forget);
      this.slots[i] = connection;
      this.live.add(connection);
    }
    return connection;
  }
}
