/**
 * Picks the transport for a node: the one the node advertises in its metadata when this process
 * can speak it (nest-micro nodes on the framed `tcp` transport get the fast path), else HTTP —
 * which every go-micro node and every nest-micro port speaks.
 *
 * The transports are the user's: the module's own, then any others configured (`transports`) for
 * the kinds they name. A kind neither covers is built on first use from the own transport's options
 * where they mean the same to both kinds (how long an idle connection is kept, the HTTP server
 * timeouts); pool sizes do not carry over (one multiplexed framed connection does the work of many
 * HTTP ones), nor TLS (the HTTP transport has none). A node on `nats` is reached through the NATS
 * transport configured in `transports`, else one on NATS's default address. All of them close with
 * the module.
 */
import type { Node } from '../registry/registry.js';
import { HttpTransport, type HttpTransportOptions } from '../transport/http/http.transport.js';
import { NatsTransport } from '../transport/nats/nats.transport.js';
import { TcpTransport, type TcpTransportOptions } from '../transport/tcp/tcp.transport.js';
import type { Transport } from '../transport/transport.js';

const BUILDERS: Record<string, (own: Transport) => Transport> = {
  tcp: (own) => new TcpTransport(own instanceof HttpTransport ? tcpOptionsFrom(own.options) : {}),
  http: (own) => new HttpTransport(own instanceof TcpTransport ? httpOptionsFrom(own.options) : {}),
  // a node on NATS from a service on another transport: NATS at go-micro's default address, unless
  // a NatsTransport is configured in `transports`
  nats: () => new NatsTransport(),
};

function tcpOptionsFrom({ poolTTL, httpTimeouts }: HttpTransportOptions): TcpTransportOptions {
  return { idleTimeout: poolTTL, httpTimeouts };
}

function httpOptionsFrom({ idleTimeout, httpTimeouts }: TcpTransportOptions): HttpTransportOptions {
  // 0 means "never close" to the framed transport; HTTP keep-alive has no such setting
  return { poolTTL: idleTimeout || undefined, httpTimeouts };
}

export class TransportChoice {
  /** Transports other than the own one, by name: the configured ones, then those built here. */
  private readonly others = new Map<string, Transport>();

  constructor(
    private readonly own: Transport,
    configured: readonly Transport[] = [],
  ) {
    for (const t of configured)
      if (t.name !== own.name && !this.others.has(t.name)) this.others.set(t.name, t);
  }

  /** The transport to dial `node` with; nodes without metadata (fixed addresses) get our own. */
  for(node: Node): Transport {
    const advertised = node.metadata.transport;
    if (!advertised || advertised === this.own.name) return this.own;
    const configured = this.others.get(advertised);
    if (configured) return configured;
    const name = BUILDERS[advertised] ? advertised : 'http';
    if (name === this.own.name) return this.own;
    let transport = this.others.get(name);
    if (!transport) this.others.set(name, (transport = BUILDERS[name]!(this.own)));
    return transport;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.others.values()].map((t) => t.close()));
    this.others.clear();
  }
}
