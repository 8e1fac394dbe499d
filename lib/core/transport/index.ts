/**
 * nest-micro/transport: the Transport interface (go-micro's transport.Transport, multiplexed: unary
 * calls and streams over one connection), nest-micro's framed TCP transport, go-micro's HTTP and
 * NATS transports, and `createTransport` by name (MICRO_TRANSPORT). The in-memory transport for
 * tests is in nest-micro/testing.
 */
export type {
  Acceptor,
  DialOptions,
  Header,
  HttpTimeouts,
  Listener,
  ListenOptions,
  Message,
  Peer,
  Reply,
  Socket,
  Transport,
  TransportCallOptions,
  TransportClient,
} from './transport.js';
export { HttpTransport, type HttpTransportOptions } from './http/http.transport.js';
export { TcpTransport, type TcpTransportOptions } from './tcp/tcp.transport.js';
export { NatsTransport, type NatsTransportOptions } from './nats/index.js';
export type { TcpListenOptions } from './tcp/tcp.listener.js';
export { createTransport } from '../plugins.js';
