/**
 * The in-memory transport ("memory"), like go-micro's transport/memory: listeners live in a
 * process-wide table keyed by port, `dial` reaches them by address, and calls and streams are
 * handed over on microtasks without a socket. Meant for tests (nest-micro/testing): the whole
 * request path above the transport (codecs, headers, errors, deadlines, streaming) runs as on the
 * network. Failures are the MicroErrors a network transport gives: 503 when nothing listens at the
 * address (retryable: nothing was delivered) or the listener closed mid-call, 408 on timeout, 413
 * for a body over the listener's `maxBodySize`.
 */
import { MicroError } from '../../errors/micro-error.js';
import type {
  Acceptor,
  Listener,
  ListenOptions,
  Message,
  Socket,
  Transport,
  TransportCallOptions,
  TransportClient,
} from '../transport.js';
import { joinHostPort, splitHostPort } from '../../net/address.js';
import { MemorySocket } from './memory.socket.js';
import { ERROR_ID } from '../../errors/ids.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';

const CLIENT_ERROR_ID = ERROR_ID.clientTransport;
const SERVER_ERROR_ID = ERROR_ID.serverTransport;

/** The process-wide "network": listeners by port. Port 0 takes the next free one from here up. */
const listeners = new Map<number, MemoryListener>();
let nextPort = 40_000;

function freePort(): number {
  while (listeners.has(nextPort)) nextPort++;
  return nextPort++;
}

const copy = (message: Message): Message => ({
  header: { ...message.header },
  body: Buffer.from(message.body),
});

/** One exchange in flight: failed by the listener's or the transport's close. */
interface Exchange {
  abort(error: MicroError): void;
}

class MemoryListener implements Listener {
  readonly open = new Set<Exchange>();
  private idle: (() => void) | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
    readonly acceptor: Acceptor,
    readonly maxBodySize: number,
  ) {}

  track(exchange: Exchange): () => void {
    this.open.add(exchange);
    return () => {
      this.open.delete(exchange);
      if (this.open.size === 0) this.idle?.();
    };
  }

  async close(graceMs = 0): Promise<void> {
    if (listeners.get(this.port) === this) listeners.delete(this.port);
    if (this.open.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const lost = MicroError.unavailable(
      CLIENT_ERROR_ID,
      `connection to ${this.address} lost: server closed`,
      false,
    );
    for (const exchange of this.open) exchange.abort(lost);
  }
}

class MemoryClient implements TransportClient {
  constructor(
    readonly address: string,
    /** This client's own pseudo address, the server's `peer.remote`. */
    private readonly local: string,
    private readonly open: Set<Exchange>,
  ) {}

  call(
    request: Message,
    options: TransportCallOptions,
    callback: (error: MicroError | null, reply?: Message) => void,
  ): void {
    const listener = this.listener();
    if (!listener) {
      queueMicrotask(() => callback(this.refused()));
      return;
    }
    if (request.body.length > listener.maxBodySize) {
      const detail = `request body exceeds ${listener.maxBodySize} bytes`;
      queueMicrotask(() => callback(MicroError.payloadTooLarge(SERVER_ERROR_ID, detail)));
      return;
    }
    let settled = false;
    const settle = (error: MicroError | null, reply?: Message): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.open.delete(exchange);
      untrack();
      callback(error, reply && copy(reply));
    };
    const exchange: Exchange = { abort: (error) => settle(error) };
    const untrack = listener.track(exchange);
    this.open.add(exchange);
    const timeout = `call to ${this.address} timed out after ${options.timeout} ms`;
    const timer = setTimeout(() => settle(MicroError.timeout(CLIENT_ERROR_ID, timeout)), options.timeout);
    const peer = { local: listener.address, remote: this.local };
    const delivered = copy(request);
    queueMicrotask(() => listener.acceptor.call(delivered, (reply) => settle(null, reply), peer));
  }

  stream(first: Message): Socket {
    const listener = this.listener();
    if (!listener) {
      const refused = new MemorySocket(this.local, this.address, CLIENT_ERROR_ID);
      const nowhere = new MemorySocket(this.address, this.local, SERVER_ERROR_ID);
      MemorySocket.connect(refused, nowhere);
      nowhere.abort(this.refused());
      queueMicrotask(() => refused.abort(this.refused()));
      return refused;
    }
    const client = new MemorySocket(this.local, this.address, CLIENT_ERROR_ID, listener.maxBodySize, () => {
      this.open.delete(exchange);
      untrack();
    });
    const server = new MemorySocket(listener.address, this.local, SERVER_ERROR_ID);
    MemorySocket.connect(client, server);
    // a close from outside (listener or transport) cuts both ends, as a lost connection would
    const exchange: Exchange = {
      abort: (error) => {
        client.abort(error);
        server.abort(error);
      },
    };
    const untrack = listener.track(exchange);
    this.open.add(exchange);
    client.send(first);
    queueMicrotask(() => listener.acceptor.stream(server));
    return client;
  }

  private listener(): MemoryListener | undefined {
    return listeners.get(splitHostPort(this.address).port);
  }

  private refused(): MicroError {
    return MicroError.unavailable(
      CLIENT_ERROR_ID,
      `connection to ${this.address} refused: nothing listens there`,
    );
  }
}

export class MemoryTransport implements Transport {
  readonly name: string = 'memory';
  private readonly clients = new Map<string, MemoryClient>();
  /** Calls and streams made through this transport's clients, failed by `close`. */
  private readonly open = new Set<Exchange>();

  /** Listens on "host:port" in this process; port 0 (or none) takes a free one. */
  async listen(address: string, acceptor: Acceptor, options: ListenOptions = {}): Promise<Listener> {
    const { host, port: asked } = splitHostPort(address);
    const port = asked || freePort();
    if (listeners.has(port)) {
      throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${address} (memory)`), {
        code: 'EADDRINUSE',
      });
    }
    const bound = joinHostPort(host || '127.0.0.1', port);
    const listener = new MemoryListener(bound, port, acceptor, options.maxBodySize ?? DEFAULT_MAX_BODY);
    listeners.set(port, listener);
    return listener;
  }

  /** A client for "host:port"; only the port matters, so any advertised host reaches the listener. */
  dial(address: string): TransportClient {
    let client = this.clients.get(address);
    if (!client) {
      client = new MemoryClient(address, joinHostPort('127.0.0.1', freePort()), this.open);
      this.clients.set(address, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const closed = MicroError.unavailable(CLIENT_ERROR_ID, 'memory transport closed', false);
    for (const exchange of this.open) exchange.abort(closed);
    this.clients.clear();
  }
}
