/**
 * Bounded work on the server: a counter-based bulkhead (`maxConcurrent` calls run, `maxQueued` wait,
 * the rest are refused at once) and a token bucket (`rateLimit`). Both are plain counters driven by
 * callbacks, so an admitted call costs no promise and no timer; the bucket refills lazily from an
 * injectable clock. `ServerLimits` holds the service's gate and one per handler, and admits a call
 * through both (handler first, then service).
 */
import type { MessageHandler } from '@nestjs/microservices';
import { overloaded, rateLimited } from '../../core/errors/overload.js';
import type { MicroError } from '../../core/errors/micro-error.js';
import { TokenBucket, type Clock, type RateLimit } from '../../core/token-bucket.js';

export { TokenBucket, type Clock, type RateLimit };

/** Per service (MicroModule options) and per handler (`@Handler(name, { … })`). */
export interface LimitOptions {
  /** Calls (and open streams) handled at once; Infinity for no limit. */
  maxConcurrent?: number;
  /** Calls waiting for a slot when `maxConcurrent` are running (default 0: refuse at once). */
  maxQueued?: number;
  /** Token bucket; past it calls are refused with a 429. */
  rateLimit?: RateLimit;
}

/** At most `maxConcurrent` running and `maxQueued` waiting (FIFO); anything more is refused. */
export class Bulkhead {
  private active = 0;
  private waiting: Array<(() => void) | undefined> = [];
  private head = 0;

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number,
  ) {
    if (!(maxConcurrent >= 1)) throw new RangeError(`maxConcurrent must be at least 1, got ${maxConcurrent}`);
    if (!(maxQueued >= 0)) throw new RangeError(`maxQueued must be 0 or more, got ${maxQueued}`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Runs `start` now, or queues it for the next free slot; false (not run, not queued) when full. */
  enter(start: () => void): boolean {
    if (this.active < this.maxConcurrent) {
      this.active++;
      start();
      return true;
    }
    if (this.queued >= this.maxQueued) return false;
    this.waiting.push(start);
    return true;
  }

  /** A running call finished: its slot goes to the oldest waiting one. */
  leave(): void {
    if (this.head === this.waiting.length) {
      if (this.active > 0) this.active--;
      return;
    }
    const next = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next(); // the slot passes on: `active` is unchanged
  }
}

/** One scope's limits (a service or a handler); the refusal names the scope and the limit. */
export class Gate {
  private readonly bulkhead?: Bulkhead;
  private readonly bucket?: TokenBucket;

  constructor(
    readonly scope: string,
    limits: LimitOptions,
    clock?: Clock,
  ) {
    const max = limits.maxConcurrent ?? Infinity;
    if (max !== Infinity) this.bulkhead = new Bulkhead(max, limits.maxQueued ?? 0);
    if (limits.rateLimit) this.bucket = new TokenBucket(limits.rateLimit.rate, limits.rateLimit.burst, clock);
  }

  /** True when this gate limits nothing (it is then skipped). */
  get open(): boolean {
    return this.bulkhead === undefined && this.bucket === undefined;
  }

  /** Null when admitted (`start` ran or will run when a slot frees); the refusal otherwise. */
  admit(start: () => void): MicroError | null {
    if (this.bucket && !this.bucket.take()) return rateLimited(this.scope, this.bucket.rate);
    if (!this.bulkhead) {
      start();
      return null;
    }
    if (this.bulkhead.enter(start)) return null;
    const b = this.bulkhead;
    return b.maxQueued === 0
      ? overloaded(this.scope, 'maxConcurrent', b.maxConcurrent)
      : overloaded(this.scope, 'maxQueued', b.maxQueued);
  }

  leave(): void {
    this.bulkhead?.leave();
  }
}

/** The service's gate and each handler's (built on a handler's first call). */
export class ServerLimits {
  private readonly service?: Gate;
  private readonly handlers = new WeakMap<MessageHandler, Gate | null>();

  constructor(
    private readonly name: string,
    limits: LimitOptions,
    private readonly clock?: Clock,
  ) {
    const gate = new Gate(name, limits, clock);
    if (!gate.open) this.service = gate;
  }

  /**
   * Admits a call or stream of `handler`: `run` now or once slots free up in both gates, or
   * `refuse` with the first gate's refusal. Every `run` must be matched by one `leave(handler)`.
   */
  enter(
    handler: MessageHandler,
    endpoint: string,
    limits: LimitOptions | undefined,
    run: () => void,
    refuse: (error: MicroError) => void,
  ): void {
    const own = this.gateOf(handler, endpoint, limits);
    const service = this.service;
    const inner = !service
      ? run
      : (): void => {
          const refused = service.admit(run);
          if (!refused) return;
          own?.leave();
          refuse(refused);
        };
    const refused = own ? own.admit(inner) : (inner(), null);
    if (refused) refuse(refused);
  }

  leave(handler: MessageHandler): void {
    this.service?.leave();
    this.handlers.get(handler)?.leave();
  }

  private gateOf(handler: MessageHandler, endpoint: string, limits: LimitOptions | undefined): Gate | null {
    let gate = this.handlers.get(handler);
    if (gate === undefined) {
      const candidate = limits ? new Gate(`${this.name}:${endpoint}`, limits, this.clock) : undefined;
      gate = candidate && !candidate.open ? candidate : null;
      this.handlers.set(handler, gate);
    }
    return gate;
  }
}
