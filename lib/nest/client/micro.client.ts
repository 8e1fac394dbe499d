/**
 * MicroClient: a Nest ClientProxy over nest-micro's call path. `send(endpoint, data)` makes an RPC
 * to the bound service (discovered, load balanced, retried, with a default timeout);
 * `emit(topic, data)` publishes through the broker. The promise API is `call(service, endpoint,
 * data, options)` and `publish(topic, data, options)`; `with(options)` derives a client with other
 * per-call defaults (metadata, timeout, address, filters…). `stream(endpoint, requests$)` opens a
 * bidirectional stream and returns the replies as an Observable (also async-iterable).
 * `breakers` emits the circuit breakers' state changes.
 *
 * `send` keeps Nest's ClientProxy semantics (cold, one call per subscription, packet through the
 * dispatch hook, a void reply completes empty, unsubscribing drops the reply) without its
 * `defer(connect)` + `mergeMap` wrapping: `connect()` does nothing here, and that wrapping cost
 * more than the rest of the client's own per-call work. Nor does it go through Nest's packet
 * callbacks: a subscription calls and settles its subscriber directly (a packet only when a
 * dispatch hook is set, no teardown: a closed subscriber ignores a late reply).
 */
import { randomUUID } from 'node:crypto';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable, type Subscriber } from 'rxjs';
import '../nest-logger.js';
import type { Broker } from '../../core/broker/broker.js';
import { endSpan, startPublishSpan } from '../../core/telemetry/spans.js';
import { activeMetrics } from '../../core/metrics/recorder.js';
import { MicroError } from '../../core/errors/micro-error.js';
import { HEADER } from '../../core/metadata/headers.js';
import type { MetadataInit } from '../../core/metadata/metadata.js';
import type { ResolvedOptions } from '../options.js';
import { layerCallOptions, type ClientCallOptions } from '../../core/client/call-options.js';
import type { CircuitBreakers } from '../../core/client/circuit-breaker.js';
import { RpcCaller } from '../../core/client/rpc-caller.js';
import { streamCallerFor, type StreamCallOptions } from '../../core/client/stream-caller.js';
import type { MicroStream } from '../../core/streaming/micro-stream.js';
import type { Source } from '../../core/streaming/outbound.js';
import { ERROR_ID } from '../../core/errors/ids.js';

export interface PublishCallOptions {
  metadata?: MetadataInit;
  /** Codec of the message body (default: the client's); it travels as the message's Content-Type. */
  contentType?: string;
  /** Protobuf message type (protobufjs Type) for application/protobuf messages. */
  protobuf?: unknown;
}

/** A pattern object for clients not bound to one service. */
export interface ServicePattern {
  service: string;
  endpoint: string;
}

export class MicroClient extends ClientProxy {
  constructor(
    readonly options: ResolvedOptions,
    /** The service `send` calls when the pattern names only an endpoint. */
    readonly service?: string,
    private readonly defaults: Partial<ClientCallOptions> = {},
    private readonly caller: RpcCaller = new RpcCaller(options),
  ) {
    super();
    // Frozen, so the call path can reuse the merged options of a client's defaults per call.
    Object.freeze(this.defaults);
  }

  /** A client sharing this one's connections, with other per-call defaults. */
  with(options: Partial<ClientCallOptions>): MicroClient {
    return new MicroClient(this.options, this.service, layerCallOptions(this.defaults, options), this.caller);
  }

  /** An RPC by name: `call('greeter', 'Greeter.Hello', {name})`. */
  call<T = unknown>(
    service: string,
    endpoint: string,
    data: unknown,
    options?: Partial<ClientCallOptions>,
  ): Promise<T> {
    // without call options the frozen defaults go as they are (the caller reuses their merge)
    return this.caller.call<T>(service, endpoint, data, layerCallOptions(this.defaults, options));
  }

  /**
   * A bidirectional stream: `stream('Chat.Talk', requests$)` (bound client), `stream({ service,
   * endpoint }, requests$)` or `stream(service, endpoint, requests$, options)`. `requests` is an
   * Observable or an AsyncIterable (pulled only as the server's window allows). Replies arrive as a
   * cold Observable; unsubscribing cancels the stream end to end. No default timeout for streams.
   */
  stream<T = unknown>(
    pattern: string | ServicePattern,
    requests: Source,
    options?: Partial<StreamCallOptions>,
  ): MicroStream<T>;
  stream<T = unknown>(
    service: string,
    endpoint: string,
    requests: Source,
    options?: Partial<StreamCallOptions>,
  ): MicroStream<T>;
  stream<T = unknown>(
    first: string | ServicePattern,
    second: string | Source,
    third?: Source | Partial<StreamCallOptions>,
    fourth?: Partial<StreamCallOptions>,
  ): MicroStream<T> {
    const full = typeof second === 'string';
    const { service, endpoint } = full ? { service: first as string, endpoint: second } : this.route(first);
    const requests = (full ? third : second) as Source;
    const options = (full ? fourth : third) as Partial<StreamCallOptions> | undefined;
    // unary timeouts do not apply: a stream's deadline is only the one given here
    const { timeout: _moduleTimeout, ...moduleDefaults } = this.options.client;
    const { timeout: _clientTimeout, ...defaults } = this.defaults;
    const merged = layerCallOptions(layerCallOptions(moduleDefaults, defaults), options) as StreamCallOptions;
    return streamCallerFor(this.caller, this.options).stream<T>(service, endpoint, requests, merged);
  }

  /** Nest's request-response call: `firstValueFrom(client.send('Greeter.Hello', data))`. */
  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    // null or undefined: Nest's own InvalidMessageException, as an erroring Observable
    if (pattern === null || pattern === undefined || data === null || data === undefined)
      return super.send<TResult, TInput>(pattern, data);
    return new SendObservable<TResult>(this, pattern, data);
  }

  /** The promise form of `emit`; Nest's own packet publishing goes through the same method. */
  override publish(topic: string, data: unknown, options?: PublishCallOptions): Promise<void>;
  override publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void;
  override publish(
    first: string | ReadPacket,
    second: unknown,
    third?: PublishCallOptions,
  ): Promise<void> | (() => void) {
    if (typeof first === 'string') return this.publishEvent(first, second, third);
    return this.publishPacket(first, second as (packet: WritePacket) => void);
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  /** The core call path this client runs on (RpcCaller, from nest-micro/client), shared by `with()`. */
  unwrap<T = RpcCaller>(): T {
    return this.caller as T;
  }

  /**
   * The circuit breakers of the services this module's clients call (shared by every client of the
   * module): `client.breakers.on('open', ({ name, error }) => …)`, also `half-open` and `close`.
   */
  get breakers(): CircuitBreakers {
    return this.caller.breakers;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    await this.publishEvent(String(packet.pattern), packet.data, {
      metadata: packet.metadata as MetadataInit | undefined,
    });
    return undefined as T;
  }

  protected override serializeError(err: unknown): unknown {
    return err instanceof MicroError ? err : (MicroError.fromObject(err) ?? err);
  }

  /** One subscription of `send`: the call, its reply or error to the subscriber. */
  private dispatch(pattern: unknown, data: unknown, subscriber: Subscriber<unknown>): void {
    let options: Partial<ClientCallOptions> | undefined;
    if (this.onDispatchHook !== undefined) {
      // the hook may set the packet's metadata (not its pattern or data)
      const metadata = this.createPacket(pattern, data).metadata as MetadataInit | undefined;
      if (metadata) options = { metadata };
    }
    // a bound client's "Service.Method" pattern without the route object
    const bound = typeof pattern === 'string' && this.service ? this.service : undefined;
    const route = bound === undefined ? this.route(pattern) : undefined;
    const call =
      route === undefined
        ? this.call(bound!, pattern as string, data, options)
        : this.call(route.service, route.endpoint, data, options);
    call.then(
      (response) => {
        if (response !== undefined) subscriber.next(this.serializeResponse(response));
        subscriber.complete();
      },
      (err: unknown) => (err ? subscriber.error(this.serializeError(err)) : subscriber.complete()),
    );
  }

  private publishPacket(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let cancelled = false;
    const { service, endpoint } = this.route(packet.pattern);
    const metadata = packet.metadata as MetadataInit | undefined;
    const options = metadata ? { metadata } : undefined;
    this.call(service, endpoint, packet.data, options).then(
      (response) => !cancelled && callback({ response, isDisposed: true }),
      (err: unknown) => !cancelled && callback({ err, isDisposed: true }),
    );
    return () => {
      cancelled = true;
    };
  }

  private async publishEvent(topic: string, data: unknown, options: PublishCallOptions = {}): Promise<void> {
    const codec = this.caller.codecs.get(options.contentType ?? this.defaults.contentType);
    const header: Record<string, string> = {};
    const metadata = { ...this.defaults.metadata, ...options.metadata };
    for (const [k, v] of Object.entries(metadata)) if (v !== undefined) header[k.toLowerCase()] = String(v);
    header[HEADER.contentType] = codec.contentType;
    header[HEADER.topic] = topic;
    header[HEADER.id] = randomUUID();
    const broker = this.options.broker;
    // a PRODUCER span (undefined while tracing is off), its context in the message's header
    const traced = startPublishSpan(broker.name, topic, header);
    try {
      await connectOnce(broker);
      await broker.publish(topic, { header, body: codec.marshal(data, options.protobuf) });
    } catch (error) {
      endSpan(traced?.span, error);
      activeMetrics()?.published(broker.name, topic, error);
      throw error;
    }
    endSpan(traced?.span);
    activeMetrics()?.published(broker.name, topic, null);
  }

  private route(pattern: unknown): { service: string; endpoint: string } {
    if (typeof pattern === 'string') {
      if (!this.service)
        throw MicroError.badRequest(
          ERROR_ID.client,
          `client is bound to no service: use call(service, "${pattern}", data) or a {service, endpoint} pattern`,
        );
      return { service: this.service, endpoint: pattern };
    }
    const p = pattern as Partial<ServicePattern>;
    if (p && typeof p.service === 'string' && typeof p.endpoint === 'string')
      return { service: p.service, endpoint: p.endpoint };
    throw MicroError.badRequest(
      ERROR_ID.client,
      `invalid pattern ${JSON.stringify(pattern)}: use "Service.Method" or {service, endpoint}`,
    );
  }
}

/**
 * The cold Observable `send` returns: each subscription makes one call. Its subscribe function is
 * shared by every instance (rxjs calls it with the Observable as `this`): no closure per call.
 */
class SendObservable<T> extends Observable<T> {
  constructor(
    readonly client: MicroClient,
    readonly pattern: unknown,
    readonly data: unknown,
  ) {
    super(subscribeSend as (this: Observable<T>, subscriber: Subscriber<T>) => void);
  }
}

function subscribeSend(this: SendObservable<unknown>, subscriber: Subscriber<unknown>): void {
  this.client['dispatch'](this.pattern, this.data, subscriber);
}

/**
 * One connect per broker shared by every client of it (`with()` derives clients); a failed connect
 * is forgotten, so the next publish tries again once the broker is back.
 */
const connecting = new WeakMap<Broker, Promise<void>>();
function connectOnce(broker: Broker): Promise<void> {
  let pending = connecting.get(broker);
  if (!pending) {
    pending = broker.connect().catch((error: unknown) => {
      connecting.delete(broker);
      throw error;
    });
    connecting.set(broker, pending);
  }
  return pending;
}
