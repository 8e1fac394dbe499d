/**
 * Where an accepted HTTP/1.1 connection goes: its first request's headers are read (llhttp) and a
 * request carrying `Micro-Stream` makes it a go-micro stream connection (stream-server.ts, which
 * can write unpaired responses); any other connection, with the bytes read so far, goes to the
 * node:http server of unary calls. Connections that never finish their first headers are left to
 * node:http's limits (over 64 KiB, or its headers timeout) once the peek gives up on them (after the
 * headers timeout, at most 10 s).
 */
import type { Server as HttpServer } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { HEADER } from '../../metadata/headers.js';
import type { Acceptor, ListenOptions } from '../transport.js';
import { Http1Parser } from './http1-parser.js';
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS } from './http.server.js';
import { HttpStreamServerConnection } from './stream-server.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';

const PEEK_LIMIT = 64 * 1024;
const PEEK_TIMEOUT = 10_000;
/** Swallows a socket's errors while the first headers are peeked (one function for every socket). */
const ignoreError = (): void => undefined;

export interface HttpAcceptor {
  /** Serves unary calls; never listens itself unless the caller makes it. */
  readonly server: HttpServer;
  /**
   * Takes an accepted connection, with bytes already read from it; `serve` hands a unary-call
   * connection to node:http (default: emit 'connection' on `server`).
   */
  accept(socket: NetSocket, first?: Buffer, serve?: (socket: NetSocket, bytes: Buffer) => void): void;
  /** Stream connections end as their streams finish; those left are destroyed after `graceMs`. */
  close(graceMs: number): void;
}

export function createHttpAcceptor(acceptor: Acceptor, options: ListenOptions = {}): HttpAcceptor {
  const server = createHttpServer(acceptor, options);
  const limits = {
    maxBody: options.maxBodySize ?? DEFAULT_MAX_BODY,
    streamIdleTimeout: options.httpTimeouts?.streamIdleTimeout ?? DEFAULT_HTTP_TIMEOUTS.streamIdleTimeout,
  };
  const headersTimeout = options.httpTimeouts?.headersTimeout ?? PEEK_TIMEOUT;
  const peekTimeout = headersTimeout > 0 ? Math.min(PEEK_TIMEOUT, headersTimeout) : PEEK_TIMEOUT;
  const streams = new Set<HttpStreamServerConnection>();
  const gone = (c: HttpStreamServerConnection): void => void streams.delete(c);
  let closing = false;

  const toStreams = (socket: NetSocket, bytes: Buffer): void => {
    const connection = new HttpStreamServerConnection(socket, acceptor, limits, gone);
    streams.add(connection);
    connection.start(bytes);
    if (closing) connection.drain();
  };
  const toServer = (socket: NetSocket, bytes: Buffer): void => {
    if (bytes.length > 0) socket.unshift(bytes);
    server.emit('connection', socket);
  };

  return {
    server,
    accept(socket, first = Buffer.alloc(0), serve = toServer) {
      let seen = first;
      let verdict: 'stream' | 'call' | undefined;
      const peek = new Http1Parser(
        'request',
        Infinity,
        () => undefined,
        (header) => (verdict ??= header[HEADER.stream] !== undefined ? 'stream' : 'call'),
      );
      const decide = (): boolean => {
        if (peek.push(seen.subarray(seen.length - pending)) !== undefined) verdict ??= 'call';
        if (verdict === undefined && seen.length < PEEK_LIMIT) return false;
        peek.close();
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', ignoreError);
        socket.off('end', onEnd);
        if (verdict === 'stream') toStreams(socket, seen);
        else serve(socket, seen);
        return true;
      };
      let pending = seen.length;
      const onData = (data: Buffer): void => {
        seen = Buffer.concat([seen, data]);
        pending = data.length;
        decide();
      };
      // the client ended before its first headers were complete: nothing can be served (and an
      // HTTP server socket allows half-open connections, so it would stay open)
      const onEnd = (): void => {
        peek.close();
        clearTimeout(timer);
        socket.destroy();
      };
      let timer: NodeJS.Timeout | undefined;
      if (seen.length > 0 && decide()) return;
      timer = setTimeout(() => {
        verdict ??= 'call';
        decide(); // node:http then answers the incomplete request with its headers-timeout 408
      }, peekTimeout);
      timer.unref?.();
      socket.on('error', ignoreError);
      socket.on('end', onEnd);
      socket.on('data', onData);
    },
    close(graceMs) {
      closing = true;
      for (const connection of streams) connection.drain();
      if (streams.size === 0) return;
      const force = setTimeout(() => {
        for (const connection of streams) connection.destroy();
      }, graceMs);
      force.unref?.();
    },
  };
}
