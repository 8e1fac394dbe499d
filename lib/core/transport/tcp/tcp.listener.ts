/**
 * The listening side of the framed TCP transport: one port (optionally TLS) that serves both the
 * framed protocol and go-micro's HTTP transport, told apart by each connection's first bytes
 * (sniff.ts). Closing stops accepting, sends GOAWAY, lets in-flight replies out, and after the
 * grace period destroys whatever is left.
 */
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createHttpAcceptor } from '../http/http.accept.js';
import type { Acceptor, Listener, ListenOptions } from '../transport.js';
import { listenOn } from '../transport.js';
import { joinHostPort } from '../../net/address.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT } from '../idle-streams.js';
import { HEADER_ROOM } from './protocol.js';
import { ServerConnection } from './server-connection.js';
import { sniff } from './sniff.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';

export interface TcpListenOptions extends ListenOptions {
  /** Closes connections that have not shown their protocol within this many ms (default 10 s). */
  sniffTimeout?: number;
  /** Largest frame payload accepted (default maxBodySize + 64 KiB). */
  maxFrame?: number;
  /** A framed connection idle this long, ms, is closed (default 5 min; 0 = never). See server-connection.ts. */
  idleTimeout?: number;
  /** A framed stream silent both ways this long, ms, is reset with a 408 (default 5 min; 0 = never). */
  streamIdleTimeout?: number;
}

export const DEFAULT_SERVER_IDLE_TIMEOUT = 5 * 60_000;

export async function listenTcp(
  address: string,
  acceptor: Acceptor,
  options: TcpListenOptions = {},
): Promise<Listener> {
  const maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
  const limits = {
    maxBody,
    maxFrame: options.maxFrame ?? maxBody + HEADER_ROOM,
    idleTimeout: options.idleTimeout ?? DEFAULT_SERVER_IDLE_TIMEOUT,
    streamIdleTimeout: options.streamIdleTimeout ?? DEFAULT_STREAM_IDLE_TIMEOUT,
  };
  const http = createHttpAcceptor(acceptor, options);
  const httpServer = http.server;
  // The HTTP server never listens itself; 'listening' makes Node track the connections we hand it
  // (needed by closeIdleConnections, and for its headers/request timeouts).
  httpServer.emit('listening');
  const sockets = new Set<Socket>();
  const framed = new Set<ServerConnection>();
  let closing = false;
  let closedPromise: Promise<void> | undefined;
  const forget = (connection: ServerConnection): void => void framed.delete(connection);

  const handlers = {
    framed(socket: Socket, first: Buffer): void {
      const connection = new ServerConnection(socket, acceptor, limits, forget);
      framed.add(connection);
      connection.start(first);
      if (closing) connection.goAway();
    },
    http(socket: Socket, first: Buffer): void {
      http.accept(socket, first); // unary calls to node:http, go-micro stream connections apart
    },
  };
  const accept = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (closing) return void socket.destroy();
    sniff(socket, options.sniffTimeout ?? 10_000, handlers);
  };

  const server: Server = options.tls
    ? createTlsServer({ ...options.tls }, accept).on('tlsClientError', () => {
        /* a failed handshake concerns that connection only */
      })
    : createNetServer({ noDelay: true }, accept);
  await listenOn(server, address);
  server.on('error', () => {
    /* accept errors (EMFILE…) must not crash the process */
  });
  const bound = server.address() as AddressInfo;

  return {
    address: joinHostPort(bound.address, bound.port),
    close: (graceMs = 5_000) => {
      if (closing) return closedPromise!;
      closing = true;
      closedPromise = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of framed) connection.goAway();
      http.close(graceMs);
      closeHttp(httpServer, sockets, graceMs);
      return closedPromise;
    },
  };
}

/** Idle HTTP connections close at once and as they become idle; all are destroyed after the grace. */
function closeHttp(httpServer: HttpServer, sockets: Set<Socket>, graceMs: number): void {
  httpServer.closeIdleConnections();
  const force = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, graceMs);
  const poll = setInterval(() => {
    if (sockets.size > 0) return httpServer.closeIdleConnections();
    clearInterval(poll);
    clearTimeout(force);
    httpServer.close();
  }, 20);
}
