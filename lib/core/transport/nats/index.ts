/** NATS transport: go-micro's transport/nats wire (request/reply on subjects), calls and streams. */
export { NatsTransport } from './nats.transport.js';
export type { NatsTransportOptions } from './nats.options.js';
