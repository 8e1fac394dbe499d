/**
 * A NATS connection opened on first use and shared by one component (a registry, a transport's
 * clients, a listener): a failed first connection is forgotten so the next use tries again; once
 * connected the client reconnects by itself, and the component hears of each disconnect and
 * reconnect (to fail what was in flight, or to announce itself again). `close()` drains it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { MicroError } from '../errors/micro-error.js';
import { connectNats, type NatsConnectionOptions } from './connection.js';

export interface NatsLinkEvents {
  /** Connected for the first time (before `get()` resolves). */
  connected?(nc: NatsConnection): void;
  /** The connection to the server was lost; the client is reconnecting. */
  disconnected?(nc: NatsConnection): void;
  /** Back after a disconnect: subscriptions are in place again. */
  reconnected?(nc: NatsConnection): void;
}

export class NatsLink {
  private connecting?: Promise<NatsConnection>;
  private nc?: NatsConnection;
  private up = false;
  private closed = false;
  private lost = 0;

  constructor(
    private readonly options: NatsConnectionOptions,
    private readonly errorId: string,
    private readonly events: NatsLinkEvents = {},
  ) {}

  /** True while connected to a server (false before the first connection and while reconnecting). */
  get connected(): boolean {
    return this.up;
  }

  /** How many times the connection was lost so far (work that spans a loss can tell). */
  get disconnects(): number {
    return this.lost;
  }

  /** The connection when one was made (connected or reconnecting), else undefined. */
  current(): NatsConnection | undefined {
    return this.nc;
  }

  /** The connection, connecting first when needed; rejects with a retryable MicroError. */
  get(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return Promise.resolve(this.nc);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc ?? (await this.connecting?.catch(() => undefined));
    this.nc = undefined;
    this.up = false;
    if (!nc || nc.isClosed()) return;
    await nc.drain().catch(() => nc.close());
  }

  private async open(): Promise<NatsConnection> {
    const nc = await connectNats(this.options, this.errorId);
    if (this.closed) {
      await nc.close();
      throw MicroError.unavailable(this.errorId, 'the NATS connection is closed', false);
    }
    this.nc = nc;
    this.up = true;
    this.events.connected?.(nc);
    void this.follow(nc);
    return nc;
  }

  private async follow(nc: NatsConnection): Promise<void> {
    try {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') {
          this.up = false;
          this.lost++;
          this.events.disconnected?.(nc);
        } else if (status.type === 'reconnect') {
          this.up = true;
          this.events.reconnected?.(nc);
        }
      }
    } catch {
      /* the iterator ends with the connection */
    }
    if (this.nc === nc) {
      this.up = false;
      this.nc = undefined;
    }
  }
}
