/**
 * Serves unary calls: routes a request message to its handler by endpoint (header, or the body's
 * envelope for json-rpc/proto-rpc), decodes it with the codec of its Content-Type, runs the handler
 * and encodes the reply in the caller's codec. A call past the service's or the handler's limits is
 * refused before its body is decoded (503 shed, 429 rate limited); one that waited in a queue past
 * the caller's deadline is answered with a 408 unrun. Every failure becomes a reply carrying a MicroError
 * in the `Micro-Error` header (and in the envelope for framing codecs); nothing is thrown.
 * `Debug.Health` answers {"status":"ok"} (go-micro's debug handler), or, while the server refuses
 * new calls (draining), that refusal: a 503 go-micro clients read as an error.
 */
import { performance } from 'node:perf_hooks';
import type { MessageHandler } from '@nestjs/microservices';
import type { Codec } from '../../core/codec/codec.js';
import { microExtras, type HandlerExtras } from '../decorators/handler-meta.js';
import { toMicroError } from '../errors.js';
import { MicroError } from '../../core/errors/micro-error.js';
import { HEADER } from '../../core/metadata/headers.js';
import type { Message, Peer, Reply } from '../../core/transport/transport.js';
import { endSpan, runTraced, startServerSpan } from '../../core/telemetry/spans.js';
import { activeMetrics } from '../../core/metrics/recorder.js';
import { HEALTH_ENDPOINT, STATS_ENDPOINT } from '../../core/metrics/debug-stats.js';
import {
  contextOf,
  handlerFor,
  routeFromEnvelope,
  routeOf,
  timeoutOf,
  type DispatcherHost,
  type Route,
} from './incoming.js';

const EMPTY: Buffer = Buffer.alloc(0);
export { HEALTH_ENDPOINT };

export function dispatchCall(host: DispatcherHost, request: Message, reply: Reply, peer: Peer): void {
  const header = request.header;
  const route = routeOf(host, header);
  /** The id a framing codec's reply envelope echoes: the request envelope's (go-micro's rpc_router). */
  let envelopeId = route.id;
  let codec: Codec | undefined;
  // metrics (undefined while no MeterProvider is registered) from the moment the endpoint is known
  const metrics = activeMetrics();
  // one clock read per call: Debug.Stats' latency histogram and the metrics' duration share it
  const arrived = performance.now();
  let started = -1;
  const fail = (error: unknown): void => {
    const e = toMicroError(error, host.service);
    reply(errorReply(e, route, envelopeId, codec));
    host.stats.record(true, performance.now() - arrived);
    if (metrics && started >= 0) metrics.serverEnded(host.service, route.endpoint, started, e);
  };
  try {
    codec = host.codecs.get(route.contentType);
    envelopeId = routeFromEnvelope(route, codec, request.body) ?? envelopeId;
    const { endpoint } = route;
    if (metrics) {
      started = arrived;
      metrics.serverStarted(host.service, endpoint);
    }
    const handler = handlerFor(host, endpoint);
    if (handler instanceof MicroError) {
      if (endpoint === HEALTH_ENDPOINT) {
        // not serving while a new call would be refused (draining): the same retryable 503
        const refusal = host.refusal();
        return refusal ? fail(refusal) : replyWith(codec, { status: 'ok' });
      }
      if (endpoint === STATS_ENDPOINT) return replyWith(codec, host.stats.snapshot());
      return fail(handler);
    }
    const refusal = host.refusal();
    if (refusal) return fail(refusal);
    const micro = microExtras(handler.extras);
    if (micro?.stream) {
      const detail = `${endpoint} is a streaming endpoint; open a stream to it instead`;
      return fail(MicroError.badRequest(host.service, detail));
    }
    const timeout = timeoutOf(header);
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    const used = codec;
    let waited = false;
    host.track(+1);
    host.limits.enter(
      handler,
      endpoint,
      micro?.limits,
      () => serve(handler, micro, used, deadline, waited),
      (shed) => {
        host.track(-1);
        metrics?.shed(host.service, endpoint, shed);
        fail(shed);
      },
    );
    waited = true; // a `serve` from now on ran after waiting in a queue
  } catch (error) {
    fail(error);
  }

  /** The admitted call: decoded, run, answered; its slot and drain count are released once. */
  function serve(
    handler: MessageHandler,
    micro: HandlerExtras | undefined,
    c: Codec,
    deadline: number | undefined,
    waited: boolean,
  ): void {
    let released = false;
    // the SERVER span (undefined while tracing is off), child of the caller's context in the header
    const traced = startServerSpan(host.service, route.endpoint, header);
    const release = (): boolean => {
      if (released) return false;
      released = true;
      host.limits.leave(handler);
      host.track(-1);
      return true;
    };
    const failTraced = traced
      ? (error: unknown): void => {
          const e = toMicroError(error, host.service);
          endSpan(traced.span, e);
          fail(e);
        }
      : fail;
    try {
      if (waited && deadline !== undefined && Date.now() >= deadline) {
        release();
        const detail = `${route.endpoint} waited in ${host.service}'s queue past the caller's deadline`;
        return failTraced(MicroError.timeout(host.service, detail));
      }
      const decoded = c.decodeRequest(request.body, micro?.requestSchema);
      if (decoded.header?.id !== undefined) envelopeId = decoded.header.id;
      const context = contextOf(host, route, header, peer, { deadline });
      // the handler (Nest's guards, interceptors, the user's spans) runs inside the SERVER span
      runTraced(traced, () =>
        host.invoker.unary(handler, decoded.body, context, (error, value) => {
          if (!release()) return;
          if (error !== undefined) return failTraced(error);
          try {
            replyWith(c, value, micro?.responseSchema);
            if (traced) endSpan(traced.span);
          } catch (encodeError) {
            failTraced(encodeError);
          }
        }),
      );
    } catch (error) {
      if (release()) failTraced(error);
    }
  }

  function replyWith(c: Codec, value: unknown, schema?: unknown): void {
    const body = c.encodeResponse({ id: envelopeId, endpoint: route.endpoint }, value, schema);
    reply({ header: { [HEADER.contentType]: route.contentType, [HEADER.id]: route.id }, body });
    host.stats.record(false, performance.now() - arrived);
    if (metrics && started >= 0) metrics.serverEnded(host.service, route.endpoint, started, null);
  }
}

/** The error in the Micro-Error header; framing codecs (json-rpc, proto-rpc) also carry it in the envelope. */
function errorReply(error: MicroError, route: Route, envelopeId: string, codec?: Codec): Message {
  const { id, endpoint, contentType } = route;
  let body: Buffer = EMPTY;
  if (codec?.decodeHeader) {
    try {
      body = codec.encodeResponse({ id: envelopeId, endpoint, error: error.toString() }, undefined);
    } catch {
      body = EMPTY;
    }
  }
  return {
    header: { [HEADER.error]: error.toString(), [HEADER.id]: id, [HEADER.contentType]: contentType },
    body,
  };
}
