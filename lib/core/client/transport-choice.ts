/**
 * Picks the transport for a node: the one the node advertises in its metadata when this process
 * can speak it (nest-micro nodes on the framed `tcp` transport get the fast path), else HTTP —
 * which every go-micro node and every nest-micro port speaks. Transports other than the module's
 * own are created on first use and closed with it.
 */
import type { Node } from '../registry/registry.js';
import { HttpTransport } from '../transport/http/http.transport.js';
import { TcpTransport } from '../transport/tcp/tcp.transport.js';
import type { Transport } from '../transport/transport.js';

const FACTORIES: Record<string, () => Transport> = {
  tcp: () => new TcpTransport(),
  http: () => new HttpTransport(),
};

export class TransportChoice {
  private readonly extra = new Map<string, Transport>();

  constructor(private readonly own: Transport) {}

  /** The transport to dial `node` with; nodes without metadata (fixed addresses) get our own. */
  for(node: Node): Transport {
    const advertised = node.metadata.transport;
    if (!advertised || advertised === this.own.name) return this.own;
    const name = FACTORIES[advertised] ? advertised : 'http';
    if (name === this.own.name) return this.own;
    let transport = this.extra.get(name);
    if (!transport) this.extra.set(name, (transport = FACTORIES[name]!()));
    return transport;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.extra.values()].map((t) => t.close()));
    this.extra.clear();
  }
}
