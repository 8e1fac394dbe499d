/**
 * Options of the NATS transport and their defaults, plus the subject rules it checks addresses by.
 */
import { ERROR_ID } from '../../errors/ids.js';
import { MicroError } from '../../errors/micro-error.js';
import { natsServers, type NatsConnectionOptions } from '../../nats/connection.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT } from '../idle-streams.js';

export const NATS_TRANSPORT_ID = ERROR_ID.transport;

export interface NatsTransportOptions {
  /** NATS servers: "host:port[,host:port]" or a list, `nats://` optional (default nats://127.0.0.1:4222). */
  servers?: string | string[];
  /** @nats-io/transport-node connection options (TLS, credentials, …), applied over nest-micro's. */
  connection?: NatsConnectionOptions;
  /** Client name shown by the NATS server (default `nest-micro-transport`). */
  name?: string;
  /**
   * A server stream on which no message moved either way this long ends with a 408, ms (default
   * 5 min; 0 = never): a NATS client that vanishes sends no goodbye.
   */
  streamIdleTimeout?: number;
  /**
   * Reply subjects kept per node for later calls (default 64). Each call in flight has a reply
   * subject of its own (so a missing listener fails that call alone, at once); a go-micro server
   * keeps some state per reply subject for a minute, so they are reused rather than made per call.
   */
  maxIdleReplySubjects?: number;
}

export interface ResolvedNatsTransportOptions {
  servers: string[];
  connection: NatsConnectionOptions;
  name: string;
  streamIdleTimeout: number;
  maxIdleReplySubjects: number;
}

export function resolveNatsTransportOptions(options: NatsTransportOptions): ResolvedNatsTransportOptions {
  return {
    servers: natsServers(options.servers),
    connection: options.connection ?? {},
    name: options.name ?? 'nest-micro-transport',
    streamIdleTimeout: options.streamIdleTimeout ?? DEFAULT_STREAM_IDLE_TIMEOUT,
    maxIdleReplySubjects: Math.max(0, options.maxIdleReplySubjects ?? 64),
  };
}

/** A subject a message can be published to: non-empty tokens, no spaces, no wildcards. */
export function isPublishSubject(subject: string): boolean {
  return subject.length > 0 && !/[\s*>]/.test(subject) && subject.split('.').every((t) => t.length > 0);
}

/**
 * The subject a listener takes for `address`: go-micro takes a fresh inbox for its default address
 * (":0"), nest-micro also for "" and any "host:0"; any other address is the subject itself.
 */
export function listenSubject(address: string, inbox: () => string): string {
  const a = address.trim();
  if (a === '' || a.endsWith(':0')) return inbox();
  if (!isPublishSubject(a))
    throw MicroError.badRequest(
      NATS_TRANSPORT_ID,
      `nats transport: "${address}" is not a valid NATS subject to listen on`,
    );
  return a;
}
