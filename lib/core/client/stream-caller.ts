/**
 * The client's stream path (go-micro's client.Stream): select a node (selector, or fixed
 * addresses) → dial on the transport it advertises → open the stream with the routing headers
 * (Content-Type, Accept, Micro-Id/Service/Endpoint/Method, Micro-Stream, metadata, and Timeout
 * when the stream has a deadline) and a first body that is the codec's empty request (go-micro's
 * server discards it, but its json-rpc and proto-rpc decoders read an empty one as EOF) → send the
 * requests (Observable or AsyncIterable) under flow control while replies arrive. The requests
 * completing ends our side (EOS); the server's end completes the replies; its in-band error fails
 * them as a MicroError. A go-micro handler that read our EOS returns without sending one, so on a
 * go-micro node the stream also completes once the server stayed silent for `endGrace` ms after our
 * side ended. A stream is not retried once opened; the selector is told how it went.
 *
 * A stream goes through the service's circuit breaker and `maxInFlight` bulkhead as a unary call
 * does (admission.ts): refused with the same 503 before any network call, it counts as one call in
 * flight from opening until it ends, errs or is cancelled. For the breaker it opened (a success) at
 * the server's first message or clean end; failing before that (refused, unreachable, reset, past
 * its deadline) is a failure to open, counted as the breaker's rule says; a stream cancelled before
 * either, or failed by its own requests (their source errs, or outruns the window), reports nothing. What happens on a stream after it opened is not the breaker's business.
 */
import { randomUUID } from 'node:crypto';
import type { Codec } from '../codec/codec.js';
import { MicroError } from '../errors/micro-error.js';
import { HEADER, msToTimeoutHeader, timerDelay } from '../metadata/headers.js';
import { FRAMEWORK, FRAMEWORK_KEY, type Node } from '../registry/registry.js';
import { enableCallScope } from './call-scope.js';
import { callDeadline } from './deadline.js';
import { fixedAddresses } from './fixed-address.js';
import { MicroStream, type StreamHandle, type StreamSink } from '../streaming/micro-stream.js';
import { DEFAULT_MAX_BUFFERED, Outbound, type Source } from '../streaming/outbound.js';
import { canPause, classify } from '../transport/stream-wire.js';
import type { Header, Message, Socket } from '../transport/transport.js';
import { Admission } from './admission.js';
import type { CallerOptions, ClientCallOptions } from './call-options.js';
import type { RpcCaller } from './rpc-caller.js';
import { requestHeader } from './request-header.js';
import { nodeAttributes } from '../telemetry/attributes.js';
import { endSpan, injectContext, startStreamSpan, type Traced } from '../telemetry/index.js';
import { activeMetrics } from '../metrics/recorder.js';
import type { Span } from '../telemetry/otel-api.js';
import { ERROR_ID } from '../errors/ids.js';
import { errorText } from '../errors/error-text.js';

const CLIENT_ID = ERROR_ID.client;
const EMPTY: Buffer = Buffer.alloc(0);

export interface StreamCallOptions extends Omit<ClientCallOptions, 'timeout'> {
  /** Deadline for the whole stream, ms; none by default (a deadline inherited from a call still applies). */
  timeout?: number;
  /** Bytes an Observable of requests may run ahead of the server's window (default 64 MiB). */
  maxBuffered?: number;
  /**
   * go-micro nodes only: how long the server may stay silent after our side ended (EOS) before the
   * stream counts as complete, ms (default 1000). A go-micro handler that read the client's end
   * returns without an end of its own; nest-micro nodes always send one.
   */
  endGrace?: number;
}

export const DEFAULT_END_GRACE = 1_000;

const callers = new WeakMap<RpcCaller, StreamCaller>();

/** The stream path sharing `caller`'s codecs (one per module, like the call path). */
export function streamCallerFor(caller: RpcCaller, options: CallerOptions): StreamCaller {
  let streams = callers.get(caller);
  if (!streams) callers.set(caller, (streams = new StreamCaller(options, caller)));
  return streams;
}

export class StreamCaller {
  private sequence = 0;

  constructor(
    private readonly options: CallerOptions,
    private readonly caller: RpcCaller,
  ) {}

  stream<T>(service: string, endpoint: string, requests: Source, options: StreamCallOptions): MicroStream<T> {
    enableCallScope();
    return new MicroStream<T>((sink) => {
      const call = new StreamCall<T>(this, service, endpoint, requests, options, sink);
      call.start();
      return call;
    });
  }

  /** @internal The bulkhead slot and breaker ticket of a stream, or the 503 refusing it. */
  admit(
    service: string,
    endpoint: string,
    o: StreamCallOptions,
    span?: Span,
  ): Admission | MicroError | undefined {
    return Admission.wanted(o) ? this.caller.admit(service, endpoint, o, span) : undefined;
  }

  /** @internal */
  open(node: Node, first: Message): Socket {
    return this.caller.transports.for(node).dial(node.address).stream(first);
  }

  /**
   * @internal Whether the server at `node` sends an end of stream after reading the client's: a
   * nest-micro node, or any node on `tcp` (nest-micro's own transport). A go-micro node (on `http`
   * or on `nats`, go-micro's transport/nats) does not.
   */
  alwaysEnds(node: Node): boolean {
    return node.metadata[FRAMEWORK_KEY] === FRAMEWORK || this.caller.transports.for(node).name === 'tcp';
  }

  /** @internal */
  codec(contentType: string | undefined): Codec {
    return this.caller.codecs.get(contentType);
  }

  /** @internal */
  nextStreamId(): string {
    this.sequence = this.sequence >= Number.MAX_SAFE_INTEGER ? 1 : this.sequence + 1;
    return String(this.sequence);
  }

  /** @internal */
  async select(service: string, o: StreamCallOptions): Promise<Node> {
    if (o.address) return fixedAddresses(o.address)();
    const next = await this.options.selector.select(service, { filters: o.filters, strategy: o.strategy });
    return next();
  }

  /** @internal */
  mark(service: string, node: Node, error: MicroError | null, started: number): void {
    this.options.selector.mark(service, node, error, { duration: Date.now() - started });
  }
}

class StreamCall<T> implements StreamHandle {
  private socket: Socket | undefined;
  private outbound: Outbound | undefined;
  private paused = false;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  /** Armed once our side ended on a go-micro node: silence for endGrace ms completes the stream. */
  private grace: NodeJS.Timeout | undefined;
  private node: Node | undefined;
  private started = Date.now();
  private admission: Admission | undefined;
  /** The stream's CLIENT span, for its life (undefined while tracing is off). */
  private traced: Traced | undefined;
  /** The server sent its first message or its end: the stream opened. */
  private opened = false;
  /** Counts the stream's messages (undefined while no MeterProvider is registered). */
  private readonly metrics = activeMetrics();

  constructor(
    private readonly owner: StreamCaller,
    private readonly service: string,
    private readonly endpoint: string,
    private readonly requests: Source,
    private readonly o: StreamCallOptions,
    private readonly sink: StreamSink<T>,
  ) {}

  start(): void {
    this.traced = startStreamSpan(this.service, this.endpoint, true);
    // a spent deadline fails before admission, as a unary call's does: the dependency was not asked
    let deadline: number | undefined;
    try {
      deadline = callDeadline(this.o.timeout, `stream ${this.service}.${this.endpoint}`);
    } catch (error) {
      return this.fail(error);
    }
    const timeout = deadline === undefined ? undefined : deadline - Date.now();
    if (timeout !== undefined && timeout <= 0) return this.fail(this.expired(timeout));
    const admission = this.owner.admit(this.service, this.endpoint, this.o, this.traced?.span);
    if (admission instanceof MicroError) {
      this.done = true;
      this.endSpan(admission);
      return this.sink.error(admission);
    }
    this.admission = admission;
    if (timeout !== undefined) {
      // a deadline past what setTimeout holds (Infinity included) waits that long, not 1 ms
      this.timer = setTimeout(() => this.fail(this.expired(timeout)), timerDelay(timeout));
      this.timer.unref?.();
    }
    this.owner.select(this.service, this.o).then(
      (node) => this.connect(node, timeout),
      (error: unknown) => this.fail(error),
    );
  }

  pause(): void {
    this.paused = true;
    if (this.socket && canPause(this.socket)) this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.socket && canPause(this.socket)) this.socket.resume();
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.admission?.abandon();
    this.cleanup(null);
    this.socket?.close();
  }

  private connect(node: Node, timeout: number | undefined): void {
    if (this.done) return;
    this.node = node;
    this.started = Date.now();
    const codec = this.owner.codec(this.o.contentType);
    const id = randomUUID();
    const header = this.header(codec, id, timeout);
    const schema = this.o.protobuf;
    let socket: Socket;
    const silentEnd = !this.owner.alwaysEnds(node);
    try {
      socket = this.owner.open(node, {
        header,
        body: emptyRequest(codec, id, this.endpoint, schema?.request),
      });
    } catch (error) {
      return this.fail(error);
    }
    this.socket = socket;
    if (this.paused && canPause(socket)) socket.pause();
    socket.onMessage((message) => this.receive(codec, message, schema?.response));
    socket.onEnd((error) => (error ? this.fail(error) : this.complete()));
    const messageHeader: Header = { [HEADER.contentType]: codec.contentType };
    this.outbound = new Outbound(
      socket,
      {
        encode: (value) => {
          const body = codec.encodeRequest({ id, endpoint: this.endpoint }, value, schema?.request);
          this.metrics?.streamMessages(this.service, this.endpoint, true, true);
          return { header: messageHeader, body };
        },
        done: (error) => {
          if (error !== undefined) {
            this.admission?.abandon(); // our requests failed, not the dependency
            return this.fail(error, true);
          }
          socket.end();
          if (silentEnd) this.armGrace();
        },
      },
      this.o.maxBuffered ?? DEFAULT_MAX_BUFFERED,
      CLIENT_ID,
    );
    this.outbound.start(this.requests);
  }

  private receive(codec: Codec, message: Message, schema: unknown): void {
    if (this.done) return;
    if (this.grace) this.armGrace();
    const kind = classify(message, this.service);
    if (kind.kind === 'end') return this.complete();
    if (kind.kind === 'error') return this.fail(kind.error);
    if (!this.opened) {
      this.opened = true;
      this.admission?.outcome(null);
    }
    let value: T;
    try {
      value = codec.decodeResponse(message.body, schema).body as T;
    } catch (error) {
      return this.fail(error, true);
    }
    this.metrics?.streamMessages(this.service, this.endpoint, true, false);
    this.sink.next(value);
  }

  /** The server ended its side: stop sending, end ours, complete. */
  private complete(): void {
    if (this.done) return;
    this.done = true;
    this.cleanup(null);
    this.socket?.end();
    this.sink.complete();
  }

  /** Fails the replies; `reset` also tells the server (our requests or a reply could not be used). */
  private fail(error: unknown, reset = false): void {
    if (this.done) return;
    this.done = true;
    const failure =
      error instanceof MicroError ? error : MicroError.internalServerError(CLIENT_ID, errorText(error));
    this.cleanup(failure);
    if (reset || failure.code === 408) this.socket?.close(failure);
    else this.socket?.end();
    this.sink.error(failure);
  }

  private armGrace(): void {
    clearTimeout(this.grace);
    this.grace = setTimeout(() => this.complete(), timerDelay(this.o.endGrace ?? DEFAULT_END_GRACE));
    this.grace.unref?.();
  }

  /** Every end path comes here once: the slot goes back; an outcome not yet reported is this one. */
  private cleanup(error: MicroError | null): void {
    this.endSpan(error);
    this.admission?.outcome(error);
    this.admission?.release();
    clearTimeout(this.timer);
    clearTimeout(this.grace);
    this.outbound?.stop();
    if (this.node) this.owner.mark(this.service, this.node, error, this.started);
  }

  private expired(timeout: number): MicroError {
    return MicroError.timeout(
      CLIENT_ID,
      `stream ${this.service}.${this.endpoint} exceeded its ${timeout} ms deadline`,
    );
  }

  private header(codec: Codec, id: string, timeout: number | undefined): Header {
    const header = requestHeader(this.service, this.endpoint, id, codec.contentType, this.o.metadata);
    header[HEADER.stream] = this.owner.nextStreamId();
    if (timeout !== undefined) header[HEADER.timeout] = msToTimeoutHeader(timeout);
    if (this.traced) {
      if (this.traced.span.isRecording()) this.traced.span.setAttributes(nodeAttributes(this.node!));
      injectContext(this.traced.api, this.traced.context, header);
    }
    return header;
  }

  private endSpan(error: MicroError | null): void {
    endSpan(this.traced?.span, error);
    this.traced = undefined;
  }
}

/**
 * The opening message's body: the codec's encoding of an empty request, as go-micro's generated
 * clients send it (`{}` in JSON, an envelope for json-rpc/proto-rpc, no bytes in protobuf).
 */
function emptyRequest(codec: Codec, id: string, endpoint: string, schema: unknown): Buffer {
  for (const value of [{}, undefined]) {
    try {
      return codec.encodeRequest({ id, endpoint }, value, schema);
    } catch {
      /* this codec cannot encode that without a schema: try the next */
    }
  }
  return EMPTY;
}
