/**
 * OwnHttpServer: a Node request listener (the API gateway's, the dashboard's) run on an HTTP
 * server of its own — `listen("host:port")` resolves with the bound address, `close()` stops it
 * without waiting for clients: no new requests, idle connections closed, open ones (streams,
 * live feeds, keep-alive) destroyed. Upgrade requests go to `onUpgrade` when one is given.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { joinHostPort, splitHostPort } from './address.js';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class OwnHttpServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly onRequest: RequestListener,
    private readonly onUpgrade?: UpgradeListener,
  ) {}

  /** Starts a server at "host:port" (port 0: any free one); resolves with the bound address. */
  async listen(address: string): Promise<string> {
    const { host, port } = splitHostPort(address);
    const server = (this.server = createServer(this.onRequest));
    if (this.onUpgrade) server.on('upgrade', this.onUpgrade);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    return joinHostPort(bound.address, bound.port);
  }

  /** Stops the server if one runs: no new requests, every connection closed. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
