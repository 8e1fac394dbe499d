/**
 * Transport: how messages {header, body} move between a client and a node (go-micro's
 * transport.Transport), shaped so one connection can carry many concurrent calls and streams.
 *
 * - A unary call is one request message and one reply message (`TransportClient.call`).
 * - A stream is a `Socket`: both sides send any number of messages until each ends its side.
 * Header keys are lower-case inside nest-micro; transports canonicalise them on the wire as needed.
 */
import type { Server } from 'node:net';
import type { MicroError } from '../errors/micro-error.js';
import { splitHostPort } from '../net/address.js';

export type Header = Record<string, string>;

export interface Message {
  header: Header;
  body: Buffer;
}

/** The two ends of an exchange, as "host:port". */
export interface Peer {
  local: string;
  remote: string;
}

/** One bidirectional exchange (a stream). Messages arrive in order. */
export interface Socket extends Peer {
  /** Sends one message; returns false when the peer's window is full (wait for `onDrain`). */
  send(message: Message): boolean;
  /** Messages that arrive before a listener is set are buffered until it is. */
  onMessage(listener: (message: Message) => void): void;
  /** Ends once: cleanly when the peer ended its side (`error` undefined), or with the failure. */
  onEnd(listener: (error?: MicroError) => void): void;
  /** Called when `send` may be called again after it returned false. */
  onDrain(listener: () => void): void;
  /**
   * Ends our sending side (go-micro's EOS). `body` is the EOS message's body where the transport
   * writes one (HTTP): a framing codec's envelope, which go-micro's json-rpc and proto-rpc read.
   */
  end(body?: Buffer): void;
  /** Aborts the exchange in both directions; the peer sees `error` (or a cancellation). */
  close(error?: MicroError): void;
  /** Holds delivery back until `resume` (flow control reaches the peer where the transport can). */
  pause?(): void;
  resume?(): void;
}

export type Reply = (message: Message) => void;

/** What a listening server does with what arrives. */
export interface Acceptor {
  /** A unary request: call `reply` exactly once. */
  call(request: Message, reply: Reply, peer: Peer): void;
  /** A new stream; its first message (with the routing headers) arrives through `onMessage`. */
  stream(socket: Socket): void;
}

export interface ListenOptions {
  /** Largest message body accepted, in bytes (default 4 MiB); larger ones are refused unread. */
  maxBodySize?: number;
  tls?: import('node:tls').SecureContextOptions;
  /** node:http's timeouts for HTTP connections (defaults and reasons: http/http.server.ts). */
  httpTimeouts?: HttpTimeouts;
}

/** How long an HTTP client may take, ms; 0 turns one off. */
export interface HttpTimeouts {
  /** From a request's first byte until its headers are complete (default 10 s). */
  headersTimeout?: number;
  /** From a request's first byte until its whole body arrived (default 30 s). */
  requestTimeout?: number;
  /** An idle keep-alive connection is closed after this long (default 60 s). */
  keepAliveTimeout?: number;
  /**
   * A go-micro stream on which no message moved either way for this long ends with a 408 and its
   * connection closes (default 5 min). See http/stream-server.ts.
   */
  streamIdleTimeout?: number;
}

export interface Listener {
  /** The bound address, "host:port" (the real port when 0 was asked for). */
  readonly address: string;
  /** Stops accepting connections and closes idle ones; open exchanges are cut after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface TransportCallOptions {
  /** Milliseconds before the call fails with a Timeout (408) MicroError. */
  timeout: number;
}

/**
 * The client side for one node address. Transports pool connections underneath (`dial` is cheap
 * to call per request). Failures are MicroErrors: 408 on timeout; 503 for connection failures,
 * with `retryable` set only when the request certainly was not delivered.
 */
export interface TransportClient {
  readonly address: string;
  call(
    request: Message,
    options: TransportCallOptions,
    callback: (error: MicroError | null, reply?: Message) => void,
  ): void;
  /** Opens a stream; `first` carries the routing headers. */
  stream(first: Message): Socket;
}

export interface DialOptions {
  tls?: import('node:tls').ConnectionOptions;
}

export interface Transport {
  /** Implementation name, advertised in node metadata (`transport`). */
  readonly name: string;
  listen(address: string, acceptor: Acceptor, options?: ListenOptions): Promise<Listener>;
  dial(address: string, options?: DialOptions): TransportClient;
  /** Closes pooled client connections. */
  close(): Promise<void>;
}

/** Binds `server` to "host:port" (empty host: every interface); rejects on EADDRINUSE and the like. */
export function listenOn(server: Server, address: string): Promise<void> {
  const { host, port } = splitHostPort(address);
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
