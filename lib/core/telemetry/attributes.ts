/**
 * Span names and attributes, per OpenTelemetry's RPC and messaging semantic conventions (names
 * spelt here: the semantic-conventions package is not a runtime dependency). Spans are named as
 * go-micro's OpenTelemetry wrapper names them (`service.Endpoint`, `Pub to topic`, `Sub from
 * topic`), so Go and Node nodes of one service show alike. `rpc.system.name` is `go-micro`: the
 * protocol family both speak (the conventions list no value for it; a custom one is allowed).
 *
 * `OTEL_SEMCONV_STABILITY_OPT_IN` (read once, comma-separated) keeps older names for backends that
 * still expect them, beside the current ones: `rpc/dup` adds `rpc.system`, `rpc.service`,
 * `rpc.response.status_code` and `net.peer.name`/`net.peer.port` (`rpc.method` keeps its current,
 * fully-qualified value: the two cannot share the name); `messaging/dup` adds `messaging.operation`.
 */
import type { Attributes } from '@opentelemetry/api';
import { MicroError } from '../errors/micro-error.js';
import type { Node } from '../registry/registry.js';

export const RPC_SYSTEM = 'go-micro';
/**
 * Custom attributes (no convention covers them): the attempt number (1 for the first), the retries
 * a call made, the selected node's id, and the state of the circuit breaker that admitted (or
 * refused) the call (`closed`, `half-open` for a probe, `open`).
 */
export const ATTR_ATTEMPT = 'micro.attempt';
export const ATTR_RETRIES = 'micro.retries';
export const ATTR_NODE_ID = 'micro.node.id';
export const ATTR_BREAKER_STATE = 'micro.breaker.state';

const optIn = (process.env.OTEL_SEMCONV_STABILITY_OPT_IN ?? '').split(',').map((v) => v.trim());
const duplicateOld = optIn.includes('rpc/dup');
const duplicateOldMessaging = optIn.includes('messaging/dup');

export const rpcSpanName = (service: string, endpoint: string): string => `${service}.${endpoint}`;

export function rpcAttributes(service: string, endpoint: string): Attributes {
  const attributes: Attributes = {
    'rpc.system.name': RPC_SYSTEM,
    'rpc.method': rpcSpanName(service, endpoint),
  };
  if (duplicateOld) {
    attributes['rpc.system'] = RPC_SYSTEM;
    attributes['rpc.service'] = service;
  }
  return attributes;
}

/** `server.address`/`server.port` of a node address (`host:port`, `[v6]:port`). */
export function nodeAttributes(node: Node): Attributes {
  const address = node.address;
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? address : address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = colon < 0 ? NaN : Number(address.slice(colon + 1));
  const attributes: Attributes = { 'server.address': host, [ATTR_NODE_ID]: node.id };
  if (Number.isInteger(port)) attributes['server.port'] = port;
  if (duplicateOld) {
    attributes['net.peer.name'] = host;
    if (Number.isInteger(port)) attributes['net.peer.port'] = port;
  }
  return attributes;
}

/** What a failure is on a span: its code as `rpc.status_code` and `error.type`, and its detail. */
export function failureOf(error: unknown): { attributes: Attributes; message: string } {
  if (error instanceof MicroError) {
    const code = String(error.code);
    const attributes: Attributes = { 'rpc.status_code': code, 'error.type': code };
    if (duplicateOld) attributes['rpc.response.status_code'] = code;
    return { attributes, message: error.detail };
  }
  const type = error instanceof Error ? error.constructor.name : '_OTHER';
  return { attributes: { 'error.type': type }, message: String(error) };
}

export function messagingAttributes(system: string, topic: string, send: boolean): Attributes {
  const attributes: Attributes = {
    'messaging.system': system,
    'messaging.destination.name': topic,
    'messaging.operation.type': send ? 'send' : 'process',
    'messaging.operation.name': send ? 'publish' : 'process',
  };
  if (duplicateOldMessaging) attributes['messaging.operation'] = send ? 'publish' : 'process';
  return attributes;
}
