/**
 * Admission of a unary call or a stream to a service: a `maxInFlight` bulkhead slot and a circuit
 * breaker ticket, taken together before any network call (or the 503 refusing it). The two are given
 * back apart, because a stream reports to its breaker once it opened (or failed to) but holds its
 * bulkhead slot until it ends: `outcome` tells the breaker how it went (null: success; an error
 * counts as its `isFailure` says), `abandon` lets it go without an outcome (a stream cancelled before
 * the server answered: a half-open breaker's probe is free again), `release` gives the slot back.
 * Each is done at most once, whatever order the caller's end paths call them in.
 */
import type { MicroError } from '../errors/micro-error.js';
import type { Bulkheads } from './bulkhead.js';
import type { BreakerOptions, CircuitBreaker, CircuitBreakers } from './circuit-breaker.js';

export interface Guarded {
  breaker?: BreakerOptions | boolean;
  maxInFlight?: number;
}

export class Admission {
  private reported = false;
  private released = false;

  private constructor(
    private readonly bulkheads: Bulkheads,
    private readonly service: string,
    private readonly bounded: boolean,
    private readonly breaker: CircuitBreaker | undefined,
    private readonly ticket: number,
  ) {}

  /** Whether `o` asks for a bulkhead or a breaker at all (otherwise nothing is admitted). */
  static wanted(o: Guarded): boolean {
    return Boolean(o.breaker) || o.maxInFlight !== undefined;
  }

  /** Takes a slot and a ticket for a call or stream to `service`, or returns the 503 refusing it. */
  static take(
    breakers: CircuitBreakers,
    bulkheads: Bulkheads,
    service: string,
    endpoint: string,
    o: Guarded,
  ): Admission | MicroError {
    const bounded = o.maxInFlight !== undefined;
    if (bounded) {
      const refused = bulkheads.enter(service, o.maxInFlight!);
      if (refused) return refused;
    }
    let breaker: CircuitBreaker | undefined;
    let ticket = 0;
    if (o.breaker) {
      breaker = breakers.for(service, endpoint, o.breaker);
      const admitted = breaker.enter(Date.now());
      if (typeof admitted !== 'number') {
        if (bounded) bulkheads.exit(service);
        return admitted;
      }
      ticket = admitted;
    }
    return new Admission(bulkheads, service, bounded, breaker, ticket);
  }

  /** The breaker's outcome: null on success, else the error (counted as the breaker's rule says). */
  outcome(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    this.breaker?.exit(this.ticket, error);
  }

  /** No outcome to report (cancelled before the dependency answered). */
  abandon(): void {
    if (this.reported) return;
    this.reported = true;
    this.breaker?.abandon(this.ticket);
  }

  /** Gives the bulkhead slot back. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.bounded) this.bulkheads.exit(this.service);
  }

  /** A unary call settled: its outcome and its slot at once. */
  settle(error: unknown): void {
    this.release();
    this.outcome(error);
  }
}
