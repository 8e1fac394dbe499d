/**
 * What the rpc, stream and event dispatchers share before a handler runs: the host they dispatch
 * for, the route of an incoming call (Content-Type, call id, endpoint: routing headers first, else a
 * framing codec's envelope), the handler an endpoint names, and the MicroContext the handler gets.
 */
import type { MessageHandler } from '@nestjs/microservices';
import type { Codec } from '../../core/codec/codec.js';
import type { Codecs } from '../../core/codec/codecs.js';
import { MicroError } from '../../core/errors/micro-error.js';
import { HEADER, ROUTING_HEADERS, timeoutHeaderToMs } from '../../core/metadata/headers.js';
import { Metadata } from '../../core/metadata/metadata.js';
import type { Header, Peer } from '../../core/transport/transport.js';
import type { DebugStats } from '../../core/metrics/debug-stats.js';
import type { HandlerInvoker } from './handler-invoker.js';
import type { ServerLimits } from './limits.js';
import { MicroContext, type MicroContextInit } from './micro-context.js';

export interface DispatcherHost {
  readonly service: string;
  readonly codecs: Codecs;
  readonly invoker: HandlerInvoker;
  handler(endpoint: string): MessageHandler | undefined;
  /** Null when calls are accepted; the refusal (retryable "draining") otherwise. */
  refusal(): MicroError | null;
  track(delta: number): void;
  /** maxConcurrent / maxQueued / rateLimit of the service and its handlers. */
  readonly limits: ServerLimits;
  /** Requests and errors answered, for Debug.Stats. */
  readonly stats: DebugStats;
}

/** Where an incoming call goes and how it is encoded. */
export interface Route {
  /** The Content-Type, else the service's codec for unlabelled bodies. */
  contentType: string;
  /** Micro-Id; "" when none. */
  id: string;
  /** Micro-Endpoint, else Micro-Method (for an event: the topic); "" when none. */
  endpoint: string;
}

export function routeOf(host: DispatcherHost, header: Header): Route {
  return {
    contentType: header[HEADER.contentType] || host.codecs.unlabelled,
    id: header[HEADER.id] ?? '',
    endpoint: header[HEADER.endpoint] || header[HEADER.method] || '',
  };
}

/**
 * Fills the endpoint or id the headers lack from a framing codec's envelope (json-rpc, proto-rpc);
 * returns the envelope's id when it was read.
 */
export function routeFromEnvelope(route: Route, codec: Codec, body: Buffer): string | undefined {
  if (!codec.decodeHeader || (route.endpoint && route.id)) return undefined;
  const envelope = codec.decodeHeader(body);
  route.endpoint ||= envelope.endpoint ?? '';
  route.id ||= envelope.id ?? '';
  return envelope.id ?? '';
}

/** The call or stream handler of `endpoint`, or the 404 naming it. */
export function handlerFor(host: DispatcherHost, endpoint: string): MessageHandler | MicroError {
  const handler = host.handler(endpoint);
  if (handler && !handler.isEventHandler) return handler;
  const what = endpoint || '(none)';
  return MicroError.notFound(host.service, `unknown endpoint ${what} on service ${host.service}`);
}

/** The caller's budget from the Timeout header, ms (capped to what a timer holds); undefined when none. */
export function timeoutOf(header: Header): number | undefined {
  return timeoutHeaderToMs(header[HEADER.timeout]);
}

type ContextExtras = Pick<MicroContextInit, 'deadline' | 'topic' | 'ack' | 'attempt'>;

/** The handler's MicroContext: the route, the metadata (every header but the routing ones) and the peer. */
export function contextOf(
  host: DispatcherHost,
  route: Route,
  header: Header,
  peer: Peer,
  extras?: ContextExtras,
): MicroContext {
  return new MicroContext({
    service: host.service,
    endpoint: route.endpoint,
    id: route.id,
    metadata: Metadata.fromHeader(header, ROUTING_HEADERS),
    remote: peer.remote,
    local: peer.local,
    contentType: route.contentType,
    deadline: extras?.deadline,
    topic: extras?.topic,
    ack: extras?.ack,
    attempt: extras?.attempt,
  });
}
