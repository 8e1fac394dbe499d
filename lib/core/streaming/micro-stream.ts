/**
 * MicroStream: what `client.stream()` returns — a cold Observable of the server's replies (each
 * subscription opens its own stream; unsubscribing cancels it end to end) that is also an
 * AsyncIterable. Iterated with `for await`, replies are pulled: the transport stops delivering
 * (and the server stops being granted window) while the loop body runs, so a slow consumer keeps
 * at most one window of replies in flight. Subscribed, replies are pushed as they arrive.
 */
import { Observable } from 'rxjs';

/** Where an open stream reports what arrives. */
export interface StreamSink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** Control over one open stream. */
export interface StreamHandle {
  pause(): void;
  resume(): void;
  /** Cancels the stream if it is still open (the server's input errors, its output is unsubscribed). */
  cancel(): void;
}

export type StreamStarter<T> = (sink: StreamSink<T>) => StreamHandle;

export class MicroStream<T> extends Observable<T> implements AsyncIterable<T> {
  constructor(private readonly starter: StreamStarter<T>) {
    super((subscriber) => {
      const handle = starter({
        next: (value) => subscriber.next(value),
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => handle.cancel();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const queue: T[] = [];
    let end: { error?: unknown } | undefined;
    let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
    const settle = (): void => {
      if (!waiter) return;
      const w = waiter;
      if (queue.length > 0) {
        waiter = undefined;
        w.resolve({ value: queue.shift()!, done: false });
      } else if (end) {
        waiter = undefined;
        if (end.error !== undefined) w.reject(end.error);
        else w.resolve({ value: undefined, done: true });
      }
    };
    const handle = this.starter({
      next: (value) => {
        queue.push(value);
        if (!waiter) handle.pause();
        settle();
      },
      error: (error) => {
        end = { error: error ?? new Error('stream failed') };
        settle();
      },
      complete: () => {
        end = {};
        settle();
      },
    });
    return {
      next: () =>
        new Promise<IteratorResult<T>>((resolve, reject) => {
          waiter = { resolve, reject };
          settle();
          if (waiter && queue.length === 0 && !end) handle.resume();
        }),
      return: async () => {
        end ??= {};
        queue.length = 0;
        handle.cancel();
        return { value: undefined, done: true };
      },
    };
  }
}
