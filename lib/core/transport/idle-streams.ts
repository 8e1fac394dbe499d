/**
 * Idle server streams, for both transports: a stream on which no message moved in either direction
 * for `timeout` ms is idle, and its connection ends it with a 408 MicroError (to the handler as its
 * input's error, to the client in band or as a reset). Without it a client that opens a stream and
 * goes silent would hold its connection and a server slot for good. Silence counts from both sides:
 * a handler that neither reads nor writes for that long makes its stream idle too.
 *
 * Streams flag their own activity (`moved = true` per message sent or received: a store, no clock
 * read on the message path). One timer per connection, running only while it has streams, looks
 * every quarter of the timeout, so a stream is ended after 1 to 1.25 timeouts of silence. With
 * `onEmpty` the timer also runs while the connection has no stream, and calls it once there has been
 * none for as long (a go-micro HTTP stream connection that never completes its first message, or
 * lingers after its stream ended).
 */
import { MicroError } from '../errors/micro-error.js';

/** What a stream carries for the sweep. */
export interface IdleTracked {
  /** Set by the stream on every message it sends or receives; cleared by the sweep. */
  moved: boolean;
  /** Sweeps in a row that found it silent. */
  quiet: number;
}

const TICKS = 4;

/** Default for both transports' stream idle timeouts: 5 min, as the framed server's idle connections. */
export const DEFAULT_STREAM_IDLE_TIMEOUT = 5 * 60_000;

export class IdleStreams<S extends IdleTracked> {
  private timer: NodeJS.Timeout | undefined;
  private empty = 0;

  constructor(
    /** ms; 0 (or less) never ends a stream for silence. */
    private readonly timeout: number,
    private readonly streams: ReadonlyMap<unknown, S>,
    private readonly expire: (stream: S, error: MicroError) => void,
    private readonly errorId: string,
    private readonly onEmpty?: () => void,
  ) {}

  /** A stream was added (or, with `onEmpty`, the connection opened): the sweep runs. */
  watch(): void {
    this.empty = 0;
    if (this.timeout <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), Math.max(1, Math.floor(this.timeout / TICKS)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    if (this.streams.size === 0) {
      if (this.onEmpty === undefined) return this.stop();
      if (++this.empty < TICKS) return;
      this.stop();
      return this.onEmpty();
    }
    this.empty = 0;
    let idle: S[] | undefined;
    for (const stream of this.streams.values()) {
      if (stream.moved) {
        stream.moved = false;
        stream.quiet = 0;
      } else if (++stream.quiet >= TICKS) (idle ??= []).push(stream);
    }
    if (idle === undefined) return;
    const error = MicroError.timeout(
      this.errorId,
      `stream idle: no message sent or received for ${this.timeout} ms`,
    );
    for (const stream of idle) this.expire(stream, error);
  }
}
