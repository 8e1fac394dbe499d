/**
 * The sending half of a stream: takes values from a producer, encodes them and hands them to the
 * transport Socket while the peer's window is open. Two kinds of producer:
 * - an AsyncIterable (async generator) is pulled only while the window is open: real backpressure,
 *   memory bounded by one window; every PULL_TURN values it yields the event loop a turn;
 * - an Observable pushes; while the window is closed its values wait here, up to `maxBuffered`
 *   encoded bytes, beyond which the stream fails with a 503 MicroError instead of growing.
 * An Observable may also emit AsyncIterables; each is pulled in turn, in order.
 * Values queued before the producer failed or completed are sent before `done` is reported.
 */
import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { Message, Socket } from '../transport/transport.js';
import { MicroError } from '../errors/micro-error.js';

/**
 * Default bound on what an Observable producer may queue ahead of the peer's window, in encoded
 * bytes: large enough for finite streams from memory, small enough to stop a runaway one.
 */
export const DEFAULT_MAX_BUFFERED = 64 * 1024 * 1024;

export function overflow(id: string, limit: number): MicroError {
  return new MicroError(
    id,
    `stream producer ran ${limit} bytes ahead of a slower consumer; return an AsyncIterable (async generator) for backpressure`,
    503,
  );
}

export type Source = Observable<unknown> | AsyncIterable<unknown>;

export interface OutboundHooks {
  encode(value: unknown): Message;
  /** The producer ended (error undefined) or failed; all its values before were handed to the socket. */
  done(error?: unknown): void;
  /** The window closed (true) or opened again (false). */
  blocked?(blocked: boolean): void;
}

type Item = { message: Message; size: number } | { iterable: AsyncIterable<unknown> };

/**
 * Values pulled from an AsyncIterable before the event loop gets a turn: a socket that never pushes
 * back (a fast reader over HTTP) would otherwise keep it in microtasks, starving every other
 * connection's I/O and timers for as long as the stream lasts.
 */
const PULL_TURN = 256;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !isObservable(value) &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}

export class Outbound {
  /** Waiting items are items[head..]; the array is compacted as the head advances. */
  private items: Item[] = [];
  private head = 0;
  private queued = 0;
  private isBlocked = false;
  private stopped = false;
  private finished = false;
  private pumping = false;
  private pulling = false;
  private ended: { error?: unknown } | undefined;
  private subscription: Subscription | undefined;
  private iterator: AsyncIterator<unknown> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: OutboundHooks,
    private readonly maxBuffered: number,
    private readonly errorId: string,
  ) {
    socket.onDrain(() => {
      this.setBlocked(false);
      this.pump();
    });
  }

  /** Values handed over but waiting for the window, in encoded bytes. */
  get buffered(): number {
    return this.queued;
  }

  start(source: Source): void {
    if (isAsyncIterable(source)) {
      this.items.push({ iterable: source });
      this.ended = {};
      return this.pump();
    }
    this.subscription = source.subscribe({
      next: (value) => this.push(value),
      error: (error: unknown) => this.end({ error: error ?? new Error('stream producer failed') }),
      complete: () => this.end({}),
    });
    if (this.stopped || this.ended?.error !== undefined) this.subscription.unsubscribe();
  }

  /** Stops taking values (unsubscribes, returns the iterator); `done` is not reported. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.items = [];
    this.head = 0;
    this.queued = 0;
    this.subscription?.unsubscribe();
    const iterator = this.iterator;
    this.iterator = undefined;
    if (iterator?.return) iterator.return().catch(() => undefined);
  }

  private push(value: unknown): void {
    if (this.stopped || this.ended) return;
    if (isAsyncIterable(value)) {
      this.items.push({ iterable: value });
      return this.pump();
    }
    let message: Message;
    try {
      message = this.hooks.encode(value);
    } catch (error) {
      this.subscription?.unsubscribe();
      return this.end({ error });
    }
    if (!this.isBlocked && this.waiting === 0) {
      if (!this.socket.send(message)) this.setBlocked(true);
      return;
    }
    const size = message.body.length + 64;
    this.items.push({ message, size });
    this.queued += size;
    if (this.queued > this.maxBuffered) this.fail(overflow(this.errorId, this.maxBuffered));
  }

  private end(result: { error?: unknown }): void {
    if (this.ended || this.stopped) return;
    this.ended = result;
    this.pump();
  }

  private fail(error: unknown): void {
    this.stop();
    this.finish(error);
  }

  private pump(): void {
    if (this.pumping || this.pulling || this.stopped) return;
    this.pumping = true;
    while (!this.stopped && !this.isBlocked && this.waiting > 0) {
      const item = this.items[this.head]!;
      if ('iterable' in item) {
        this.pumping = false;
        return void this.pull(item.iterable);
      }
      this.shift();
      this.queued -= item.size;
      if (!this.socket.send(item.message)) this.setBlocked(true);
    }
    this.pumping = false;
    if (this.waiting === 0 && this.ended && !this.stopped) this.finish(this.ended.error);
  }

  private async pull(iterable: AsyncIterable<unknown>): Promise<void> {
    this.pulling = true;
    try {
      this.iterator ??= iterable[Symbol.asyncIterator]();
      let turn = 0;
      while (!this.stopped && !this.isBlocked) {
        if (++turn > PULL_TURN) {
          turn = 0;
          await nextTurn();
          if (this.stopped || this.isBlocked) break;
        }
        const step = await this.iterator.next();
        if (this.stopped) return;
        if (step.done) {
          this.iterator = undefined;
          this.shift();
          break;
        }
        if (!this.socket.send(this.hooks.encode(step.value))) this.setBlocked(true);
      }
    } catch (error) {
      this.iterator = undefined;
      if (!this.stopped) this.fail(error ?? new Error('stream producer failed'));
      return;
    } finally {
      this.pulling = false;
    }
    this.pump();
  }

  private get waiting(): number {
    return this.items.length - this.head;
  }

  private shift(): void {
    this.items[this.head++] = undefined as unknown as Item;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private setBlocked(blocked: boolean): void {
    if (this.isBlocked === blocked) return;
    this.isBlocked = blocked;
    this.hooks.blocked?.(blocked);
  }

  private finish(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.hooks.done(error);
  }
}
