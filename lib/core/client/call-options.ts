/**
 * Options of one client call (go-micro's CallOptions): module defaults, then per-client, then
 * per-call values, merged by `mergeCallOptions`.
 */
import type { Codec } from '../codec/codec.js';
import type { MetadataInit } from '../metadata/metadata.js';
import type { Node } from '../registry/registry.js';
import type { Filter, Selector, Strategy } from '../selector/selector.js';
import type { Header, Message, Transport } from '../transport/transport.js';
import type { BreakerOptions } from './circuit-breaker.js';
import type { Fallback } from './fallback.js';

/** One whole call, as call wrappers see it. */
export interface CallRequest {
  service: string;
  endpoint: string;
  data: unknown;
  options: ClientCallOptions;
}
export type CallFn = (request: CallRequest) => Promise<unknown>;
/** Middleware around the whole call (retries included): tracing spans, metrics, auth. */
export type CallWrapper = (next: CallFn) => CallFn;

/** One attempt on one node, as attempt wrappers see it; `header` may be changed. */
export interface AttemptRequest {
  service: string;
  endpoint: string;
  node: Node;
  header: Header;
  body: Buffer;
  /** This attempt's timeout, ms. */
  timeout: number;
  /** 0 for the first attempt. */
  attempt: number;
}
export type AttemptFn = (request: AttemptRequest) => Promise<Message>;
/** Middleware around each attempt (go-micro's WrapCall): per-node metrics, header injection. */
export type AttemptWrapper = (next: AttemptFn) => AttemptFn;

export interface ClientCallOptions {
  /** Budget for the whole call including retries, ms (default 5 s). Exceeded → Timeout 408. */
  timeout: number;
  /** Budget for one attempt, ms (default: the whole remaining budget). */
  attemptTimeout?: number;
  /** Extra attempts after the first, on safe failures only (default 1). */
  retries: number;
  /**
   * The endpoint may safely run twice (default true, as go-micro assumes when it retries timeouts).
   * Then a timeout (408) or a connection lost after the request was sent is retried too; with
   * false only failures where the request certainly was not delivered, and errors the server
   * marks retryable (draining), are retried.
   */
  idempotent: boolean;
  /** Delay before retry `attempt` (1-based), ms. */
  backoff: (attempt: number) => number;
  /** Bypass discovery: call these "host:port" addresses (go-micro's client.WithAddress). */
  address?: string | string[];
  /** Metadata sent as headers with the call. */
  metadata?: MetadataInit;
  /** Content-Type of the request (default: the first codec's). */
  contentType?: string;
  /** Selector filters for this call, after the client's own. */
  filters?: Filter[];
  /** Selector strategy for this call. */
  strategy?: Strategy;
  /** Protobuf message types (protobufjs Type) for application/protobuf calls. */
  protobuf?: { request?: unknown; response?: unknown };
  /** Wrappers around the whole call, outermost first. */
  wrappers?: CallWrapper[];
  /** Wrappers around each attempt, outermost first. */
  attemptWrappers?: AttemptWrapper[];
  /**
   * Circuit breaker of the called service (or endpoint), shared by the module's clients: `true`
   * for the defaults, options, or `false` to call past one (default: none). Made on first use with
   * that call's options. See circuit-breaker.ts.
   */
  breaker?: BreakerOptions | boolean;
  /** At most this many calls and open streams to one service from the module's clients; past it a 503. */
  maxInFlight?: number;
  /** Returned instead of an unavailability error (408, 502/503/504, retryable): a value or `(error) => value`. */
  fallback?: Fallback;
}

export const DEFAULT_CALL_OPTIONS: ClientCallOptions = {
  timeout: 5_000,
  retries: 1,
  idempotent: true,
  backoff: (attempt) => Math.min(1_000, 25 * 2 ** (attempt - 1)),
};

/**
 * `over` laid on `base` by the one rule every layer follows: metadata merges key by key; filters and
 * wrappers compose (base's first); any other option given replaces the base's.
 */
export function layerCallOptions<T extends Partial<ClientCallOptions>>(
  base: T,
  over: Partial<ClientCallOptions> | undefined,
): T {
  if (!over) return base;
  const merged = { ...base } as Partial<ClientCallOptions>;
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    if (key === 'metadata') merged.metadata = { ...merged.metadata, ...(value as MetadataInit) };
    else if (key === 'filters') merged.filters = [...(merged.filters ?? []), ...(value as Filter[])];
    else if (key === 'wrappers') merged.wrappers = [...(merged.wrappers ?? []), ...(value as CallWrapper[])];
    else if (key === 'attemptWrappers') {
      merged.attemptWrappers = [...(merged.attemptWrappers ?? []), ...(value as AttemptWrapper[])];
    } else (merged as Record<string, unknown>)[key] = value;
  }
  return merged as T;
}

export function mergeCallOptions(
  ...layers: Array<Partial<ClientCallOptions> | undefined>
): ClientCallOptions {
  return layers.reduce<ClientCallOptions>((merged, layer) => layerCallOptions(merged, layer), {
    ...DEFAULT_CALL_OPTIONS,
  });
}

/** What the client's call and stream paths are built on (the module's resolved options fit it). */
export interface CallerOptions {
  /** Codecs by Content-Type; the first is the default. */
  codecs: Codec[];
  /** The module's transport; nodes announcing another kind get one made from it (transport-choice.ts). */
  transport: Transport;
  /** Other configured transports, for nodes announcing their kind (`name`) rather than `transport`'s. */
  transports?: readonly Transport[];
  selector: Selector;
  /** Defaults for every call. */
  client: Partial<ClientCallOptions>;
}
