/**
 * Client circuit breakers, one per service (or per service and endpoint) a module's clients call,
 * on top of the selector's per-node ejection: when the whole dependency keeps failing, calls fail
 * fast with a 503 (`go.micro.client.breaker`) instead of waiting out timeouts and retries.
 *
 * When to open is decided by cockatiel's breaker policies (ConsecutiveBreaker, CountBreaker,
 * SamplingBreaker, or any `IBreaker`); the closed → open → half-open → closed machine around them
 * is this module's own, synchronous and callback-driven so an admitted call costs no promise, and a
 * call refused while half-open fails fast instead of queueing behind the probes as cockatiel's
 * `CircuitBreakerPolicy.execute` would. Time is `Date.now()` (fake timers move it in tests).
 */
import { EventEmitter } from 'node:events';
import type { CircuitState, IBreaker } from 'cockatiel';
import { cockatiel } from '../drivers.js';
import { MicroError } from '../errors/micro-error.js';
import { activeMetrics } from '../metrics/recorder.js';
import { ERROR_ID } from '../errors/ids.js';
import { trackChaos, type OpenBreaker } from '../metrics/chaos.js';

export const BREAKER_ID = ERROR_ID.breaker;

export interface BreakerOptions {
  /** What one breaker guards: every endpoint of a service (default) or each endpoint alone. */
  scope?: 'service' | 'endpoint';
  /** Open after this many failed calls in a row (default 5 when no other policy is given). */
  consecutive?: number;
  /** Open when more than `threshold` (0–1) of the last `size` calls failed (cockatiel's CountBreaker). */
  count?: { threshold: number; size: number; minimumNumberOfCalls?: number };
  /**
   * Open when more than `threshold` (0–1) of the calls over the last `duration` ms failed, once
   * there are at least `minimumRps` calls a second (cockatiel's SamplingBreaker).
   */
  sampling?: { threshold: number; duration: number; minimumRps?: number };
  /** Any cockatiel `IBreaker`, made once per breaker. */
  policy?: () => IBreaker;
  /** How long it stays open before letting probes through, ms (default 10 s). */
  halfOpenAfter?: number;
  /** Probe calls let through while half-open (default 1); all must succeed to close it. */
  probes?: number;
  /** Which failed calls count against the dependency (default `breakerCounts`). */
  isFailure?: (error: unknown) => boolean;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerEvent {
  /** `service`, or `service.endpoint` for endpoint-scoped breakers (go-micro's hystrix naming). */
  name: string;
  service: string;
  /** Set for endpoint-scoped breakers. */
  endpoint?: string;
  /** The failure that opened it (`open` only). */
  error?: unknown;
}

export interface BreakerEvents {
  open: [BreakerEvent];
  'half-open': [BreakerEvent];
  close: [BreakerEvent];
}

/**
 * The default failure rule: the dependency is unhealthy — a 5xx, a timeout (408), or anything that
 * is not a MicroError (a transport fault). 4xx answers (400, 404, 409, 429…) mean it is up.
 */
export function breakerCounts(error: unknown): boolean {
  if (!(error instanceof MicroError)) return true;
  if (error.id === BREAKER_ID) return false;
  return error.code >= 500 || error.code === 408;
}

/**
 * One breaker. `enter` admits or refuses a call (or a stream's opening); `exit` reports an admitted
 * one's outcome, `abandon` that there is none.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private openedAt = 0;
  /** Bumped on every state change: outcomes of calls admitted before it are ignored. */
  private generation = 0;
  private probing = 0;
  private passed = 0;
  private lastFailure: unknown;
  private readonly halfOpenAfter: number;
  private readonly probes: number;
  private readonly isFailure: (error: unknown) => boolean;
  /** cockatiel's state names, as its policies are told them. */
  private readonly circuit = cockatiel().CircuitState;

  constructor(
    readonly name: string,
    readonly service: string,
    readonly endpoint: string | undefined,
    private readonly policy: IBreaker,
    options: BreakerOptions,
    private readonly emit: (event: keyof BreakerEvents, breaker: CircuitBreaker, error?: unknown) => void,
  ) {
    this.halfOpenAfter = options.halfOpenAfter ?? 10_000;
    this.probes = Math.max(1, options.probes ?? 1);
    this.isFailure = options.isFailure ?? breakerCounts;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** A ticket for `exit` (even: a normal call, odd: a probe), or the 503 refusing the call. */
  enter(now: number): number | MicroError {
    if (this.current === 'closed') return this.generation * 2;
    if (this.current === 'open') {
      if (now - this.openedAt < this.halfOpenAfter) return this.refusal(now);
      this.change('half-open');
    }
    if (this.probing + this.passed >= this.probes) return this.refusal(now);
    this.probing++;
    return this.generation * 2 + 1;
  }

  /** The outcome of a call `enter` admitted: `error` null on success. */
  exit(ticket: number, error: unknown): void {
    const probe = ticket % 2 === 1;
    if ((ticket - (probe ? 1 : 0)) / 2 !== this.generation) return;
    const failed = error !== null && error !== undefined && this.isFailure(error);
    if (probe) {
      this.probing--;
      if (failed) return this.open(error, this.circuit.HalfOpen);
      if (++this.passed >= this.probes) {
        this.policy.success(this.circuit.HalfOpen);
        this.change('close');
      }
    } else if (!failed) {
      this.policy.success(this.circuit.Closed);
    } else if (this.policy.failure(this.circuit.Closed)) {
      this.open(error, this.circuit.Closed);
    }
  }

  /** An admitted call or stream ended with no outcome to report (cancelled): a probe's place frees. */
  abandon(ticket: number): void {
    if (ticket % 2 === 1 && (ticket - 1) / 2 === this.generation) this.probing--;
  }

  private open(error: unknown, from: CircuitState): void {
    if (from === this.circuit.HalfOpen) this.policy.failure(this.circuit.HalfOpen);
    this.lastFailure = error;
    this.openedAt = Date.now();
    this.change('open', error);
  }

  private change(to: 'open' | 'half-open' | 'close', error?: unknown): void {
    this.current = to === 'close' ? 'closed' : to;
    this.generation++;
    this.probing = 0;
    this.passed = 0;
    activeMetrics()?.breakerChanged(this.name, this.service, this.current);
    this.emit(to, this, error);
  }

  private refusal(now: number): MicroError {
    const calls = this.endpoint ? `${this.service} (${this.endpoint})` : this.service;
    const wait =
      this.current === 'open'
        ? `for ${Math.max(0, this.openedAt + this.halfOpenAfter - now)}ms more`
        : 'while its probe calls are out';
    const last = this.lastFailure;
    const cause = last instanceof MicroError ? last.detail : last instanceof Error ? last.message : '';
    return MicroError.unavailable(
      BREAKER_ID,
      `circuit breaker ${this.name} is ${this.current}: calls to ${calls} fail fast ${wait}` +
        (cause ? `; it opened on: ${cause}` : ''),
      false,
    );
  }
}

/** The breakers of one module's clients, by name; an EventEmitter of `open`, `half-open`, `close`. */
export class CircuitBreakers extends EventEmitter<BreakerEvents> {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly notify = (event: keyof BreakerEvents, b: CircuitBreaker, error?: unknown): void => {
    const payload: BreakerEvent = { name: b.name, service: b.service };
    if (b.endpoint !== undefined) payload.endpoint = b.endpoint;
    if (error !== undefined) payload.error = error;
    try {
      this.emit(event, payload);
    } catch (listenerError) {
      // a throwing listener must not break the call that changed the state
      queueMicrotask(() => {
        throw listenerError;
      });
    }
  };

  constructor() {
    super();
    trackChaos(this);
  }

  /** The breakers open or half-open now (read-only). */
  openBreakers(): OpenBreaker[] {
    const out: OpenBreaker[] = [];
    for (const b of this.breakers.values()) {
      const state = b.state;
      if (state === 'closed') continue;
      const entry: OpenBreaker = { service: b.service, state };
      if (b.endpoint !== undefined) entry.endpoint = b.endpoint;
      out.push(entry);
    }
    return out;
  }

  /** The breaker guarding `service`/`endpoint`, made with `options` on first use. */
  for(service: string, endpoint: string, options: BreakerOptions | true): CircuitBreaker {
    const o = options === true ? {} : options;
    const scoped = o.scope === 'endpoint';
    const name = scoped ? `${service}.${endpoint}` : service;
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, service, scoped ? endpoint : undefined, policyOf(o), o, this.notify);
      this.breakers.set(name, breaker);
    }
    return breaker;
  }

  /** A breaker by name (`service` or `service.endpoint`), once a call made it. */
  get(name: string): CircuitBreaker | undefined {
    return this.breakers.get(name);
  }

  /** Every breaker made so far with its state. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([name, b]) => [name, b.state]));
  }
}

function policyOf(o: BreakerOptions): IBreaker {
  if (o.policy) return o.policy();
  const { ConsecutiveBreaker, CountBreaker, SamplingBreaker } = cockatiel();
  if (o.sampling) return new SamplingBreaker(o.sampling);
  if (o.count) return new CountBreaker(o.count);
  return new ConsecutiveBreaker(o.consecutive ?? 5);
}
