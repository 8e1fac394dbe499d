/**
 * The server's limiters on their own: the counter bulkhead (run, queue FIFO, refuse), the token
 * bucket on a fake clock, the refusals' ids and retryability, a handler's gate nested in the
 * service's, and the selector treating a shed call as neutral (the node is alive).
 */
import type { MessageHandler } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { isShed, overloaded, rateLimited } from '../../../lib/core/errors/index.js';
import { MicroError } from '../../../lib/index.js';
import { isRetryable } from '../../../lib/core/client/rpc-caller.js';
import { Handler } from '../../../lib/nest/decorators/handler.decorator.js';
import { Bulkhead, Gate, ServerLimits, TokenBucket } from '../../../lib/nest/server/limits.js';
import { classifyOutcome } from '../../../lib/core/selector/node-health.js';

describe('Bulkhead', () => {
  it('runs up to maxConcurrent, queues up to maxQueued in order, refuses the rest', () => {
    const b = new Bulkhead(2, 2);
    const ran: number[] = [];
    const start = (n: number) => () => ran.push(n);
    expect([1, 2, 3, 4, 5].map((n) => b.enter(start(n)))).toEqual([true, true, true, true, false]);
    expect(ran).toEqual([1, 2]);
    expect([b.running, b.queued]).toEqual([2, 2]);
    b.leave(); // 3 takes the slot
    expect(ran).toEqual([1, 2, 3]);
    expect([b.running, b.queued]).toEqual([2, 1]);
    expect(b.enter(start(6))).toBe(true); // queued behind 4
    b.leave();
    b.leave();
    expect(ran).toEqual([1, 2, 3, 4, 6]);
    b.leave();
    b.leave();
    expect([b.running, b.queued]).toEqual([0, 0]);
    b.leave(); // an extra leave never goes below 0
    expect(b.running).toBe(0);
  });

  it('with maxQueued 0 refuses as soon as every slot is taken, and keeps FIFO over many waiters', () => {
    const none = new Bulkhead(1, 0);
    expect(none.enter(() => undefined)).toBe(true);
    expect(none.enter(() => undefined)).toBe(false);

    const b = new Bulkhead(1, 5000);
    const ran: number[] = [];
    for (let i = 0; i < 5001; i++) b.enter(() => ran.push(i));
    for (let i = 0; i < 5000; i++) b.leave();
    expect(ran).toEqual(Array.from({ length: 5001 }, (_, i) => i));
    expect([b.running, b.queued]).toEqual([1, 0]);
  });

  it('rejects limits that make no sense', () => {
    expect(() => new Bulkhead(0, 0)).toThrow(RangeError);
    expect(() => new Bulkhead(1, -1)).toThrow(RangeError);
    expect(() => new Bulkhead(Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then `rate` per second as the clock moves', () => {
    let now = 1_000;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 99; // 0.99 of a token
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 60_000; // a long quiet spell refills up to the burst, no more
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('defaults the burst to one second of tokens (at least one), and refuses bad rates', () => {
    const now = 0;
    expect(new TokenBucket(50, undefined, () => now).burst).toBe(50);
    expect(new TokenBucket(0.5, undefined, () => now).burst).toBe(1);
    expect(() => new TokenBucket(0, undefined)).toThrow(RangeError);
    expect(() => new TokenBucket(Infinity, undefined)).toThrow(RangeError);
    expect(() => new TokenBucket(5, 0)).toThrow(RangeError);
  });

  it('does not refill when the clock goes backwards', () => {
    let now = 5_000;
    const bucket = new TokenBucket(1, 1, () => now);
    expect(bucket.take()).toBe(true);
    now = 1_000;
    expect(bucket.take()).toBe(false);
  });
});

describe('refusals', () => {
  it('shed: a retryable 503 naming the scope and the limit; rate limited: a 429 never retried', () => {
    const shed = overloaded('greeter:Greeter.Hello', 'maxQueued', 1);
    expect(shed).toMatchObject({ id: 'greeter:Greeter.Hello:maxQueued', code: 503, retryable: true });
    expect(isShed(shed)).toBe(true);
    expect(isShed(MicroError.parse(shed.toString()))).toBe(true); // as the client reads it
    expect(isRetryable(shed, false)).toBe(true);

    const limited = rateLimited('greeter', 5);
    expect(limited).toMatchObject({ id: 'greeter:rateLimit', code: 429, retryable: false });
    expect(isRetryable(limited, true)).toBe(false);
    expect(isShed(limited)).toBe(false);
    expect(isShed(MicroError.unavailable('greeter', 'greeter is draining; retry on another node'))).toBe(
      false,
    );
  });

  it('the selector counts a shed call as neutral, a draining or lost node as a failure', () => {
    expect(classifyOutcome(overloaded('greeter', 'maxConcurrent', 8))).toBe('neutral');
    expect(classifyOutcome(MicroError.unavailable('greeter', 'draining'))).toBe('failure');
    expect(classifyOutcome(rateLimited('greeter', 1))).toBe('success');
  });
});

describe('Gate and ServerLimits', () => {
  it('a gate refuses with maxConcurrent when it has no queue, maxQueued when its queue is full', () => {
    const noQueue = new Gate('svc', { maxConcurrent: 1 });
    expect(noQueue.admit(() => undefined)).toBeNull();
    expect(noQueue.admit(() => undefined)?.id).toBe('svc:maxConcurrent');
    const queue = new Gate('svc', { maxConcurrent: 1, maxQueued: 1 });
    queue.admit(() => undefined);
    queue.admit(() => undefined);
    expect(queue.admit(() => undefined)?.id).toBe('svc:maxQueued');
    expect(new Gate('svc', {}).open).toBe(true);
  });

  it('a rate-limited gate refuses before it queues', () => {
    let now = 0;
    const gate = new Gate('svc:A.B', { rateLimit: { rate: 1, burst: 1 } }, () => now);
    let ran = 0;
    expect(gate.admit(() => ran++)).toBeNull();
    expect(gate.admit(() => ran++)).toMatchObject({ code: 429, id: 'svc:A.B:rateLimit' });
    now += 1_000;
    expect(gate.admit(() => ran++)).toBeNull();
    expect(ran).toBe(2);
  });

  it('admits through the handler gate, then the service gate; a service refusal frees the handler slot', () => {
    const limits = new ServerLimits('svc', { maxConcurrent: 1 });
    const a = (() => undefined) as unknown as MessageHandler;
    const b = (() => undefined) as unknown as MessageHandler;
    const own = { maxConcurrent: 1, maxQueued: 1 };
    const events: string[] = [];
    const enter = (h: MessageHandler, name: string): void =>
      limits.enter(
        h,
        'A.Run',
        own,
        () => events.push(`run ${name}`),
        (e) => events.push(`refused ${name} ${e.id}`),
      );
    enter(a, 'a1'); // runs: handler slot and service slot
    enter(a, 'a2'); // waits in the handler's queue
    enter(a, 'a3'); // the handler's queue is full
    enter(b, 'b1'); // its own gate is open, but the service is full
    expect(events).toEqual(['run a1', 'refused a3 svc:A.Run:maxQueued', 'refused b1 svc:maxConcurrent']);
    limits.leave(a); // a1 done: a2 runs
    expect(events.at(-1)).toBe('run a2');
    limits.leave(a);
    enter(b, 'b2');
    expect(events.at(-1)).toBe('run b2');
  });

  it('a handler without limits of its own only meets the service gate; none at all runs at once', () => {
    const free = new ServerLimits('svc', { maxConcurrent: Infinity });
    const h = (() => undefined) as unknown as MessageHandler;
    let ran = 0;
    for (let i = 0; i < 100; i++)
      free.enter(
        h,
        'A.B',
        undefined,
        () => ran++,
        () => undefined,
      );
    expect(ran).toBe(100);
  });

  it('@Handler refuses bad limits where they are written', () => {
    expect(() => Handler('A.B', { maxConcurrent: 0 })).toThrow(RangeError);
    expect(() => Handler('A.B', { rateLimit: { rate: -1 } })).toThrow(RangeError);
  });
});
