/**
 * The client's call path, shared by every MicroClient of a module: select → dial → encode → send,
 * with a whole-call budget, per-attempt timeouts, retries of what is safe to retry (on another
 * node when there is one), deadline inheritance from the request being served, and selector
 * feedback (`mark`) after every attempt; per service, an optional bulkhead (`maxInFlight`) and
 * circuit breaker around the whole call (admission.ts, shared with the stream path), and a
 * `fallback` for unavailability errors.
 */
import { randomUUID } from 'node:crypto';
import type { Codec } from '../codec/codec.js';
import { Codecs } from '../codec/codecs.js';
import { MicroError } from '../errors/micro-error.js';
import { isShed } from '../errors/overload.js';
import { HEADER, MAX_TIMEOUT_MS, msToTimeoutHeader, timerDelay } from '../metadata/headers.js';
import type { Node } from '../registry/registry.js';
import type { Next } from '../selector/selector.js';
import { enableCallScope } from './call-scope.js';
import type { Header, Message } from '../transport/transport.js';
import {
  mergeCallOptions,
  type AttemptFn,
  type AttemptRequest,
  type AttemptWrapper,
  type CallFn,
  type CallerOptions,
  type ClientCallOptions,
} from './call-options.js';
import { Admission, type Guarded } from './admission.js';
import { Bulkheads } from './bulkhead.js';
import { callDeadline } from './deadline.js';
import { fixedAddresses } from './fixed-address.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { withFallback } from './fallback.js';
import { requestHeader } from './request-header.js';
import { TransportChoice } from './transport-choice.js';
import { ERROR_ID } from '../errors/ids.js';
import { ATTR_BREAKER_STATE, ATTR_RETRIES } from '../telemetry/attributes.js';
import { endSpan, startAttemptSpan, startCallSpan, type Traced } from '../telemetry/spans.js';
import type { Span } from '../telemetry/otel-api.js';
import { activeMetrics, type Metrics } from '../metrics/recorder.js';

const CLIENT_ID = ERROR_ID.client;
const TRANSPORT_ID = ERROR_ID.transport;

export class RpcCaller {
  readonly codecs: Codecs;

  /** @internal The transport for each node (shared with the stream path, closed with this caller). */
  readonly transports: TransportChoice;
  /** Circuit breakers of the services called (when calls ask for one), with their events. */
  readonly breakers = new CircuitBreakers();
  /** @internal Calls and open streams per service, for `maxInFlight`. */
  readonly bulkheads = new Bulkheads();
  private lastIn?: Partial<ClientCallOptions>;
  private lastOut?: ClientCallOptions;

  constructor(private readonly options: CallerOptions) {
    this.codecs = new Codecs(options.codecs);
    this.transports = new TransportChoice(options.transport, options.transports);
  }

  /** Closes transports opened for nodes that advertise another one than the module's. */
  close(): Promise<void> {
    return this.transports.close();
  }

  call<T = unknown>(
    service: string,
    endpoint: string,
    data: unknown,
    callOptions?: Partial<ClientCallOptions>,
  ): Promise<T> {
    enableCallScope();
    let options: ClientCallOptions;
    try {
      options = this.merged(callOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    const wrappers = options.wrappers;
    // a CLIENT span for the whole call, a child per attempt (undefined while tracing is off)
    const traced = startCallSpan(service, endpoint);
    // the call's metrics (undefined while no MeterProvider is registered)
    const metrics = activeMetrics();
    const measured = metrics ? new MeasuredCall(metrics, service, endpoint) : undefined;
    let call: Promise<unknown>;
    if (!wrappers?.length) call = this.execute(service, endpoint, data, options, traced, measured);
    else {
      const run = wrappers.reduceRight<CallFn>(
        (next, wrap) => wrap(next),
        (r) => this.execute(r.service, r.endpoint, r.data, r.options, traced, measured),
      );
      // wrappers may change what they are given: they get their own copy of the options
      call = run({ service, endpoint, data, options: { ...options } });
    }
    // outside the wrappers, so tracing and metrics see the failure the fallback hides
    if (traced)
      call.then(
        () => endSpan(traced.span),
        (error: unknown) => endSpan(traced.span, error),
      );
    if (measured)
      call.then(
        () => measured.end(null),
        (error: unknown) => measured.end(error),
      );
    return (options.fallback === undefined ? call : withFallback(call, options.fallback)) as Promise<T>;
  }

  /**
   * The call's options; the last merge is reused when the same (never mutated) options object comes
   * again — a client's defaults are passed as one object on every call.
   */
  private merged(callOptions: Partial<ClientCallOptions> | undefined): ClientCallOptions {
    if (callOptions !== undefined && callOptions === this.lastIn) return this.lastOut!;
    const merged = mergeCallOptions(this.options.client, callOptions);
    if (callOptions !== undefined && Object.isFrozen(callOptions)) {
      this.lastIn = callOptions;
      this.lastOut = merged;
    }
    return merged;
  }

  /**
   * One whole call: one promise, attempts driven by callbacks (no promise per attempt unless attempt
   * wrappers ask for one). A bulkhead or breaker in the options admits it first, or refuses it
   * without a network call; an admitted call reports its outcome to them when it settles.
   */
  private execute(
    service: string,
    endpoint: string,
    data: unknown,
    o: ClientCallOptions,
    traced: Traced | undefined,
    measured?: MeasuredCall,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const deadline = callDeadline(o.timeout, describeCall(service, endpoint));
      const codec = this.codecs.get(o.contentType);
      const id = nextId();
      const header = requestHeader(service, endpoint, id, codec.contentType, o.metadata);
      const body = codec.encodeRequest({ id, endpoint }, data, o.protobuf?.request);
      let ok = resolve;
      let fail = reject;
      if (Admission.wanted(o)) {
        const admission = this.admit(service, endpoint, o, traced?.span);
        if (admission instanceof MicroError) return reject(admission);
        ok = (value) => {
          admission.settle(null);
          resolve(value);
        };
        fail = (error) => {
          admission.settle(error);
          reject(error);
        };
      }
      const attempts = new Attempts(
        this,
        service,
        endpoint,
        header,
        body,
        codec,
        o,
        deadline,
        ok,
        fail,
        traced,
        measured,
      );
      if (o.address) return attempts.start(fixedAddresses(o.address));
      const selector = this.options.selector;
      // from the registry's cache without a promise and a turn when the selector can (the call's
      // options carry the selector's: filters, strategy)
      let selected: Next | undefined;
      try {
        selected = selector.selectCached?.(service, o);
      } catch (error) {
        return fail(error);
      }
      if (selected !== undefined) return attempts.start(selected);
      selector
        .select(service, { filters: o.filters, strategy: o.strategy })
        .then((next) => attempts.start(next), fail);
    });
  }

  /**
   * @internal A bulkhead slot and breaker ticket for a call or stream, or the 503 refusing it; the
   * breaker's state goes on `span` (the call's or stream's), as it was when it admitted or refused.
   */
  admit(service: string, endpoint: string, o: Guarded, span?: Span): Admission | MicroError {
    const admission = Admission.take(this.breakers, this.bulkheads, service, endpoint, o);
    if (o.breaker && span?.isRecording()) {
      span.setAttribute(ATTR_BREAKER_STATE, this.breakers.for(service, endpoint, o.breaker).state);
    }
    return admission;
  }

  /** @internal One attempt on `node`; the reply or a MicroError reaches `done` exactly once. */
  attempt(
    a: AttemptRequest,
    wrappers: AttemptWrapper[] | undefined,
    done: (error: unknown, reply?: Message) => void,
  ): void {
    if (!wrappers?.length) {
      this.transports
        .for(a.node)
        .dial(a.node.address)
        .call({ header: a.header, body: a.body }, { timeout: a.timeout }, done);
      return;
    }
    const base: AttemptFn = (r) =>
      new Promise((resolve, reject) =>
        this.attempt(r, undefined, (error, reply) => (error ? reject(error) : resolve(reply!))),
      );
    wrappers
      .reduceRight<AttemptFn>(
        (next, wrap) => wrap(next),
        base,
      )(a)
      .then(
        (reply) => done(null, reply),
        (error: unknown) => done(error ?? new Error('attempt failed')),
      );
  }

  /** @internal Tells the selector how a call to `node` went. */
  mark(service: string, node: Node, error: MicroError | null, started: number): void {
    this.options.selector.mark(service, node, error, { duration: Date.now() - started });
  }
}

/** The attempts of one call: retries what is safe to retry, within the call's budget. */
class Attempts {
  private attempt = 0;
  private next!: Next;
  private node!: Node;
  private started = 0;
  private span: Span | undefined;
  private readonly onReply = (error: unknown, reply?: Message): void => this.settle(error, reply);

  constructor(
    private readonly caller: RpcCaller,
    private readonly service: string,
    private readonly endpoint: string,
    private readonly header: Header,
    private readonly body: Buffer,
    private readonly codec: Codec,
    private readonly o: ClientCallOptions,
    private readonly deadline: number,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    private readonly traced: Traced | undefined,
    private readonly measured: MeasuredCall | undefined,
  ) {}

  start(next: Next): void {
    this.next = next;
    this.send();
  }

  private send(): void {
    const { o, service, endpoint } = this;
    try {
      const now = Date.now(); // one clock read per attempt (a read costs ~50 ns on a VM)
      const remaining = this.deadline - now;
      if (remaining <= 0) return this.reject(budgetSpent(service, endpoint, o.timeout));
      this.node = this.next();
      if (this.measured) this.measured.node = this.node;
      // setTimeout fires at once past 2^31-1 ms: a longer budget (Infinity included) waits that long
      const timeout = Math.min(remaining, o.attemptTimeout ?? remaining, MAX_TIMEOUT_MS);
      this.header[HEADER.timeout] = msToTimeoutHeader(timeout);
      this.started = now;
      if (this.traced) {
        this.span = startAttemptSpan(this.traced, service, endpoint, this.node, this.attempt, this.header);
      }
      const wrappers = o.attemptWrappers;
      // attempt wrappers may change the header: they get a copy per attempt
      const header = wrappers?.length ? { ...this.header } : this.header;
      const request = {
        service,
        endpoint,
        node: this.node,
        header,
        body: this.body,
        timeout,
        attempt: this.attempt,
      };
      this.caller.attempt(request, wrappers, this.onReply);
    } catch (error) {
      if (this.traced) this.endAttempt(error);
      this.reject(error);
    }
  }

  /** Ends the current attempt's span, once. */
  private endAttempt(error: unknown): void {
    endSpan(this.span, error);
    this.span = undefined;
  }

  private settle(error: unknown, reply?: Message): void {
    const { o, service } = this;
    let failure: MicroError;
    if (error) {
      failure =
        error instanceof MicroError ? error : MicroError.unavailable(TRANSPORT_ID, String(error), false);
    } else {
      const replyError = reply!.header[HEADER.error];
      if (replyError === undefined || replyError === '') {
        this.caller.mark(service, this.node, null, this.started);
        if (this.traced) this.endAttempt(null);
        try {
          return this.resolve(this.codec.decodeResponse(reply!.body, o.protobuf?.response).body);
        } catch (decodeError) {
          return this.reject(decodeError);
        }
      }
      failure = MicroError.parse(replyError, service);
    }
    this.caller.mark(service, this.node, failure, this.started);
    if (this.traced) this.endAttempt(failure);
    if (this.attempt >= o.retries || !isRetryable(failure, o.idempotent)) return this.reject(failure);
    this.attempt++;
    this.measured?.metrics.retry(service, this.endpoint, failure);
    if (this.traced?.span.isRecording()) this.traced.span.setAttribute(ATTR_RETRIES, this.attempt);
    // a node that shed the call answered at once that it is full: the retry goes to another node
    // now (as gRPC retries a refused stream transparently); a backoff would only add latency
    const pause = isShed(failure) ? 0 : Math.min(o.backoff(this.attempt), this.deadline - Date.now());
    if (pause > 0) setTimeout(() => this.send(), timerDelay(pause));
    else this.send();
  }
}

/** A call being measured: its start, in-flight count and the node of its last attempt. */
class MeasuredCall {
  node: Node | undefined;
  private readonly started = performance.now();

  constructor(
    readonly metrics: Metrics,
    private readonly service: string,
    private readonly endpoint: string,
  ) {
    metrics.clientStarted(service, endpoint);
  }

  end(error: unknown): void {
    this.metrics.clientEnded(this.service, this.endpoint, this.started, this.node, error);
  }
}

/**
 * Call ids (Micro-Id) in UUID form: a random prefix per process and a counter, so they stay unique
 * without drawing randomness per call.
 */
const ID_PREFIX = randomUUID().slice(0, 24);
let idCounter = 0;
function nextId(): string {
  idCounter = idCounter >= 0xffffffffffff ? 1 : idCounter + 1;
  return ID_PREFIX + idCounter.toString(16).padStart(12, '0');
}

/**
 * Worth another attempt: the request certainly was not delivered (the transport says so), or the
 * server asked for it (draining); for idempotent calls also a timeout (go-micro's default policy
 * retries 408) and an unavailable node (503: a connection lost after sending, a node shedding
 * load). Other application errors are never retried.
 */
export function isRetryable(error: MicroError, idempotent: boolean): boolean {
  if (error.retryable) return true;
  return idempotent && (error.code === 408 || error.code === 503);
}

function budgetSpent(service: string, endpoint: string, timeout: number): MicroError {
  return MicroError.timeout(
    CLIENT_ID,
    `${describeCall(service, endpoint)} timed out: no reply within ${timeout}ms`,
  );
}

const describeCall = (service: string, endpoint: string): string =>
  `call to ${service}.${endpoint.split('.').pop()} (${endpoint})`;
