/**
 * Serves streams: routes a new stream by its opening message (endpoint header, or the envelope of a
 * framing codec) to a `@Handler(…, { stream: true })`, calls the Nest-wrapped handler with the
 * client's messages as an Observable and sends what its returned Observable (or AsyncIterable)
 * yields, each message in the caller's codec. The input is held back (no credit for the client)
 * until the handler subscribes and while our output waits for the client's window, so a slow
 * client slows the whole exchange down instead of filling memory.
 * The client ending its side completes the input; a reset or lost connection errors the input and
 * unsubscribes the output. The output's end is sent as EOS, a failure in band as a MicroError, and
 * the caller's deadline (Timeout header) ends the stream with a 408. An open stream holds a slot of
 * its handler's and the service's `maxConcurrent` until it ends; past the limits it is refused in
 * band (503 shed, 429 rate limited), and one waiting in a queue starts when a slot frees. Nothing is thrown. In a framing
 * codec (json-rpc, proto-rpc) the EOS and the error also travel in the codec's envelope, as go-micro's
 * server writes them: its clients read those codecs' envelope from every message (an empty one is EOF).
 * Debug.Stats counts a stream once, when it ends (an error when it ended with one: refused, failed,
 * expired or reset by the client); its duration stays out of the latency histogram (a stream lives as
 * long as its caller wants: its open-to-end time would sit in +Inf and say nothing of the handlers).
 */
import type { MessageHandler } from '@nestjs/microservices';
import { concatMap, from, isObservable, Observable, of, Subject, type Subscription } from 'rxjs';
import type { Codec } from '../../core/codec/codec.js';
import { microExtras, type HandlerExtras } from '../decorators/handler-meta.js';
import { toMicroError } from '../errors.js';
import { MicroError } from '../../core/errors/micro-error.js';
import { HEADER } from '../../core/metadata/headers.js';
import {
  DEFAULT_MAX_BUFFERED,
  isAsyncIterable,
  Outbound,
  type Source,
} from '../../core/streaming/outbound.js';
import {
  canPause,
  classify,
  EOS,
  errorMessage,
  type PausableSocket,
} from '../../core/transport/stream-wire.js';
import type { Message, Socket } from '../../core/transport/transport.js';
import { endSpan, runTraced, startStreamSpan, type Traced } from '../../core/telemetry/spans.js';
import { activeMetrics } from '../../core/metrics/recorder.js';
import { runInCallScope } from './call-scope.js';
import { MicroContext } from './micro-context.js';
import {
  contextOf,
  handlerFor,
  routeFromEnvelope,
  routeOf,
  timeoutOf,
  type DispatcherHost,
  type Route,
} from './incoming.js';

const NO_PAUSE = { pause: () => undefined, resume: () => undefined };
const EMPTY: Buffer = Buffer.alloc(0);

export function dispatchStream(
  host: DispatcherHost,
  socket: Socket,
  maxBuffered = DEFAULT_MAX_BUFFERED,
): void {
  let opened = false;
  socket.onMessage((first) => {
    if (opened) return;
    opened = true;
    const stream = new ServerStream(host, socket, maxBuffered);
    try {
      stream.open(first);
    } catch (error) {
      stream.refuse(toMicroError(error, host.service));
    }
  });
}

class ServerStream {
  private readonly input = new Subject<unknown>();
  private readonly flow: Pick<PausableSocket, 'pause' | 'resume'>;
  private holds = 0;
  private subscribed = false;
  private outbound: Outbound | undefined;
  private finished = false;
  private tracked = false;
  /** The handler whose limits this stream holds a slot of, while it does. */
  private admitted: MessageHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private codec!: Codec;
  private id = '';
  private endpoint = '';
  private contentType = '';
  /** The stream's SERVER span, from admission to its end (undefined while tracing is off). */
  private traced: Traced | undefined;
  private header: Message['header'] = {};
  /** Counts the stream's messages (undefined while no MeterProvider is registered). */
  private readonly metrics = activeMetrics();

  constructor(
    private readonly host: DispatcherHost,
    private readonly socket: Socket,
    private readonly maxBuffered: number,
  ) {
    this.flow = canPause(socket) ? socket : NO_PAUSE;
  }

  open(first: Message): void {
    const { host, socket } = this;
    this.hold(); // nothing more is delivered until the handler subscribes to its input
    const header = first.header;
    this.header = header;
    const route = routeOf(host, header);
    this.adopt(route); // a refusal from here on answers with what is known
    this.codec = host.codecs.get(route.contentType);
    if (first.body.length > 0 && routeFromEnvelope(route, this.codec, first.body) !== undefined) {
      this.adopt(route);
    }
    const handler = handlerFor(host, route.endpoint);
    if (handler instanceof MicroError) return this.refuse(handler);
    const micro = microExtras(handler.extras);
    if (!micro?.stream) {
      const detail = `${this.endpoint} is not a streaming endpoint; call it instead`;
      return this.refuse(MicroError.badRequest(host.service, detail));
    }
    const refusal = host.refusal();
    if (refusal) return this.refuse(refusal);

    const deadlineMs = timeoutOf(header);
    const deadline = deadlineMs === undefined ? undefined : Date.now() + deadlineMs;
    const context = contextOf(host, route, header, socket, { deadline });
    socket.onMessage((message) => this.receive(message, micro.requestSchema));
    socket.onEnd((error) => this.remoteEnd(error));
    this.host.track(+1);
    this.tracked = true;
    if (deadlineMs !== undefined) {
      this.timer = setTimeout(() => this.expire(deadlineMs), deadlineMs);
      this.timer.unref?.();
    }
    host.limits.enter(
      handler,
      this.endpoint,
      micro.limits,
      () => this.begin(handler, micro, context),
      (error) => {
        this.metrics?.shed(this.host.service, this.endpoint, error);
        this.refuse(error);
      },
    );
  }

  private adopt(route: Route): void {
    this.contentType = route.contentType;
    this.id = route.id;
    this.endpoint = route.endpoint;
  }

  /** Admitted (at once, or when a slot freed): the stream holds its slot until it is cleaned up. */
  private begin(handler: MessageHandler, micro: HandlerExtras, context: MicroContext): void {
    if (this.finished) return this.host.limits.leave(handler); // gone while it waited
    this.admitted = handler;
    const outbound = new Outbound(
      this.socket,
      {
        encode: (value) => this.encode(value, micro.responseSchema),
        done: (error) => this.finish(error),
        blocked: (blocked) => (blocked ? this.hold() : this.release()),
      },
      micro.maxBuffered ?? this.maxBuffered,
      this.host.service,
    );
    this.outbound = outbound;
    this.traced = startStreamSpan(this.host.service, this.endpoint, false, this.header);
    runTraced(this.traced, () => this.run(handler, this.inputFor(handler), context)).then(
      (source) => !this.finished && outbound.start(source),
      (error: unknown) => this.finish(error ?? new Error('handler failed')),
    );
  }

  /** A stream that will not be served: its error in band, then the end; input is discarded. */
  refuse(error: MicroError): void {
    if (this.finished) return;
    this.finished = true;
    const { socket } = this;
    socket.onMessage(() => undefined);
    socket.send(this.errorMessage(error));
    socket.end(this.envelope(EOS));
    this.cleanup(true);
  }

  /** The Observable the handler receives; validated per message when its payload class asks for it. */
  private inputFor(handler: MessageHandler): Observable<unknown> {
    const raw = new Observable<unknown>((subscriber) => {
      const subscription: Subscription = this.input.subscribe(subscriber);
      if (!this.subscribed) {
        this.subscribed = true;
        this.release();
      }
      return subscription;
    });
    const micro = microExtras(handler.extras);
    if (!micro?.requestType || micro.validate === false) return raw;
    return raw.pipe(
      concatMap((value) => {
        const prepared = this.host.invoker.prepare(handler, value, this.host.service);
        return prepared instanceof Promise ? from(prepared) : of(prepared);
      }),
    );
  }

  private async run(
    handler: MessageHandler,
    input: Observable<unknown>,
    context: MicroContext,
  ): Promise<Source> {
    const result: unknown = await runInCallScope(context, () => handler(input, context));
    if (isObservable(result) || isAsyncIterable(result)) return result;
    return result === undefined ? of() : of(result);
  }

  private receive(message: Message, schema: unknown): void {
    if (this.finished) return;
    const kind = classify(message, this.host.service);
    if (kind.kind === 'end') return this.input.complete();
    if (kind.kind === 'error') {
      // the client failed its side: stop, and let go of the transport stream (nothing else would)
      this.abort(kind.error);
      return this.socket.close();
    }
    let value: unknown;
    try {
      value = this.codec.decodeRequest(message.body, schema).body;
    } catch (error) {
      return this.finish(toMicroError(error, this.host.service));
    }
    this.metrics?.streamMessages(this.host.service, this.endpoint, false, false);
    this.input.next(value);
  }

  private remoteEnd(error: MicroError | undefined): void {
    if (error === undefined) return this.input.complete();
    this.abort(error);
  }

  /** The client went away (reset, cancelled, connection lost): stop everything, nothing to send. */
  private abort(error: MicroError): void {
    if (this.finished) return;
    this.finished = true;
    this.outbound?.stop();
    this.endSpan(error);
    this.cleanup(true);
    this.input.error(error);
  }

  private expire(ms: number): void {
    const detail = `stream ${this.endpoint} exceeded the caller's deadline of ${ms} ms`;
    this.outbound?.stop();
    this.finish(MicroError.timeout(this.host.service, detail));
  }

  private encode(value: unknown, schema: unknown): Message {
    const body = this.codec.encodeResponse({ id: this.id, endpoint: this.endpoint }, value, schema);
    this.metrics?.streamMessages(this.host.service, this.endpoint, false, true);
    return { header: { [HEADER.contentType]: this.contentType, [HEADER.id]: this.id }, body };
  }

  /** Our side is done: EOS or the error in band; input still arriving is discarded. */
  private finish(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.outbound?.stop();
    const { socket } = this;
    if (error !== undefined) socket.send(this.errorMessage(toMicroError(error, this.host.service)));
    socket.end(this.envelope(EOS));
    socket.onMessage(() => undefined);
    this.endSpan(error === undefined ? undefined : toMicroError(error, this.host.service));
    this.cleanup(error !== undefined);
    this.input.complete();
  }

  private errorMessage(error: MicroError): Message {
    const header = {
      [HEADER.id]: this.id,
      ...(this.contentType && { [HEADER.contentType]: this.contentType }),
    };
    return { ...errorMessage(error, header), body: this.envelope(error.toString()) };
  }

  /** A framing codec's envelope carrying `error` (EOS or a MicroError's JSON); no body otherwise. */
  private envelope(error: string): Buffer {
    if (!this.codec?.decodeHeader) return EMPTY;
    try {
      return this.codec.encodeResponse({ id: this.id, endpoint: this.endpoint, error }, undefined);
    } catch {
      return EMPTY;
    }
  }

  private endSpan(error: MicroError | undefined): void {
    endSpan(this.traced?.span, error);
    this.traced = undefined;
  }

  /** The stream's end (once: every caller is guarded by `finished`); `failed` when it ended with an error. */
  private cleanup(failed: boolean): void {
    this.host.stats.record(failed);
    this.endSpan(undefined);
    clearTimeout(this.timer);
    if (this.holds > 0) {
      this.holds = 0;
      this.flow.resume();
    }
    if (this.admitted) {
      this.host.limits.leave(this.admitted);
      this.admitted = undefined;
    }
    if (this.tracked) {
      this.tracked = false;
      this.host.track(-1);
    }
  }

  private hold(): void {
    if (this.holds++ === 0) this.flow.pause();
  }

  private release(): void {
    if (this.holds === 0) return;
    if (--this.holds === 0) this.flow.resume();
  }
}
