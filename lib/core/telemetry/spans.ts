/**
 * The spans of the call path: a call (CLIENT) with one child per attempt, a served call (SERVER),
 * a stream, a publish (PRODUCER) and a delivery (CONSUMER). Each starter returns undefined while
 * tracing is off (no API, no SDK: see otel-api.ts), and builds attributes only for a recording span.
 */
import type { Attributes } from '@opentelemetry/api';
import { injectContext, extractContext } from './carrier.js';
import {
  ATTR_ATTEMPT,
  failureOf,
  messagingAttributes,
  nodeAttributes,
  rpcAttributes,
  rpcSpanName,
} from './attributes.js';
import { activeTracer, otelApi, type Api, type Context, type Span } from './otel-api.js';
import type { Node } from '../registry/registry.js';
import type { Header } from '../transport/transport.js';

/** A started span with the context it makes current for its children. */
export interface Traced {
  readonly api: Api;
  readonly span: Span;
  readonly context: Context;
}

// SpanKind values of the API (an enum; spelt here to need the API only once tracing is on)
const SERVER = 1;
const CLIENT = 2;
const PRODUCER = 3;
const CONSUMER = 4;
const STATUS_ERROR = 2;

function start(
  name: string,
  kind: number,
  parent: Context | undefined,
  attributes: () => Attributes,
  links?: { context: ReturnType<Span['spanContext']> }[],
): Traced | undefined {
  const tracer = activeTracer();
  if (tracer === undefined) return undefined;
  const api = otelApi()!;
  const base = parent ?? api.context.active();
  const span = tracer.startSpan(name, { kind, links }, base);
  if (span.isRecording()) span.setAttributes(attributes());
  return { api, span, context: api.trace.setSpan(base, span) };
}

/** The CLIENT span of a whole call (retries included), child of the active context. */
export function startCallSpan(service: string, endpoint: string): Traced | undefined {
  return start(rpcSpanName(service, endpoint), CLIENT, undefined, () => rpcAttributes(service, endpoint));
}

/**
 * One attempt of `call` on `node` (attempt 0 first), its context injected into `header` so the
 * server's span is its child.
 */
export function startAttemptSpan(
  call: Traced,
  service: string,
  endpoint: string,
  node: Node,
  attempt: number,
  header: Header,
): Span {
  const t = start(rpcSpanName(service, endpoint), CLIENT, call.context, () => ({
    ...rpcAttributes(service, endpoint),
    ...nodeAttributes(node),
    [ATTR_ATTEMPT]: attempt + 1,
  }));
  const span = t?.span ?? call.api.trace.wrapSpanContext(call.span.spanContext());
  injectContext(call.api, t?.context ?? call.context, header);
  return span;
}

/** The SERVER span of a served call, child of the context the request header carries. */
export function startServerSpan(service: string, endpoint: string, header: Header): Traced | undefined {
  if (activeTracer() === undefined) return undefined;
  const api = otelApi()!;
  const parent = extractContext(api, header);
  return start(rpcSpanName(service, endpoint), SERVER, parent, () => rpcAttributes(service, endpoint));
}

/**
 * A stream's span for its life: CLIENT (child of the active context; the caller injects its context
 * into the opening header) or SERVER (child of the context in the opening `header`).
 */
export function startStreamSpan(
  service: string,
  endpoint: string,
  client: boolean,
  header?: Header,
): Traced | undefined {
  if (activeTracer() === undefined) return undefined;
  const api = otelApi()!;
  const parent = client || header === undefined ? undefined : extractContext(api, header);
  return start(rpcSpanName(service, endpoint), client ? CLIENT : SERVER, parent, () =>
    rpcAttributes(service, endpoint),
  );
}

/** The PRODUCER span of a publish; its context goes into the message's header. */
export function startPublishSpan(system: string, topic: string, header: Header): Traced | undefined {
  const t = start(`Pub to ${topic}`, PRODUCER, undefined, () => messagingAttributes(system, topic, true));
  if (t) injectContext(t.api, t.context, header);
  return t;
}

/** The CONSUMER span of a delivery: child of, and linked to, the producer's context in the header. */
export function startDeliverySpan(system: string, topic: string, header: Header): Traced | undefined {
  if (activeTracer() === undefined) return undefined;
  const api = otelApi()!;
  const producer = extractContext(api, header);
  const producerSpan = api.trace.getSpanContext(producer);
  const links = producerSpan && api.trace.isSpanContextValid(producerSpan) ? [{ context: producerSpan }] : [];
  return start(
    `Sub from ${topic}`,
    CONSUMER,
    producer,
    () => messagingAttributes(system, topic, false),
    links,
  );
}

/** Ends `span`, with status ERROR and the failure's code when `error` is set. */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (span === undefined) return;
  if (error !== undefined && error !== null && span.isRecording()) {
    const failure = failureOf(error);
    span.setAttributes(failure.attributes);
    span.setStatus({ code: STATUS_ERROR, message: failure.message });
  }
  span.end();
}

/** Runs `fn` with `traced`'s context current (so spans started inside nest under it). */
export function runTraced<T>(traced: Traced | undefined, fn: () => T): T {
  return traced === undefined ? fn() : traced.api.context.with(traced.context, fn);
}
