/**
 * The two ends of one in-memory stream (the memory transport's `Socket`). What one end sends
 * arrives at the other on a later microtask, in order; `end()` arrives after the messages sent
 * before it; `close(error)` aborts both ends at once, each seeing `error` (or a 499 cancellation)
 * through `onEnd`. `pause()` holds delivery back; `send` never blocks (no window), so `onDrain`
 * never fires. Bodies are copied on the way, as a wire would, so neither side sees the other's
 * later writes into a buffer.
 */
import { MicroError } from '../../errors/micro-error.js';
import type { Message, Socket } from '../transport.js';

/** What travels from one end to the other: a message, or the sender's end of stream. */
type Arrival = Message | 'end';

export class MemorySocket implements Socket {
  peer!: MemorySocket;
  private inbox: Arrival[] = [];
  private paused = false;
  private localEnded = false;
  private remoteEnded = false;
  /** Over on this end: ended both ways, or closed. */
  private closed = false;
  /** What `onEnd` reports: the peer's clean end, or the failure. */
  private outcome: { error?: MicroError } | undefined;
  private endFired = false;
  private messageListener: ((message: Message) => void) | undefined;
  private endListener: ((error?: MicroError) => void) | undefined;

  constructor(
    readonly local: string,
    readonly remote: string,
    /** Error id of the MicroErrors this end produces (cancellation, size limit). */
    private readonly errorId: string,
    /** Largest body the peer accepts; a larger message closes the stream with a 413. */
    private readonly maxBodySize = Infinity,
    /** Called once when this end is over (ended both ways, or closed). */
    private readonly onFinish?: () => void,
  ) {}

  /** Connects two ends: what one sends arrives at the other. */
  static connect(a: MemorySocket, b: MemorySocket): void {
    a.peer = b;
    b.peer = a;
  }

  send(message: Message): boolean {
    if (this.closed || this.localEnded) return false;
    if (message.body.length > this.maxBodySize) {
      this.close(MicroError.payloadTooLarge(this.errorId, `message exceeds ${this.maxBodySize} bytes`));
      return false;
    }
    this.peer.arrive({ header: { ...message.header }, body: Buffer.from(message.body) });
    return true;
  }

  onMessage(listener: (message: Message) => void): void {
    this.messageListener = listener;
    this.flush();
  }

  onEnd(listener: (error?: MicroError) => void): void {
    this.endListener = listener;
    this.fireEnd();
  }

  onDrain(): void {
    /* send never returns false for lack of room */
  }

  end(): void {
    if (this.closed || this.localEnded) return;
    this.localEnded = true;
    this.peer.arrive('end');
    if (this.remoteEnded) this.finish();
  }

  close(error?: MicroError): void {
    if (this.closed) return;
    const reason = error ?? new MicroError(this.errorId, 'stream cancelled', 499, 'Client Closed Request');
    this.report({ error: reason });
    this.finish();
    queueMicrotask(() => this.peer.abort(reason));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flush();
  }

  /** The stream is cut from the other end or from outside (listener or transport closed). */
  abort(error: MicroError): void {
    if (this.closed) return;
    this.report({ error });
    this.finish();
  }

  private arrive(arrival: Arrival): void {
    if (this.closed) return;
    this.inbox.push(arrival);
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const listener = this.messageListener;
    while (this.inbox.length > 0 && !this.paused && !this.closed) {
      const next = this.inbox[0]!;
      if (next !== 'end' && !listener) return;
      this.inbox.shift();
      if (next === 'end') {
        this.remoteEnded = true;
        this.report({});
        if (this.localEnded) this.finish();
      } else {
        listener!(next);
        if (this.messageListener !== listener) return;
      }
    }
  }

  private report(outcome: { error?: MicroError }): void {
    this.outcome ??= outcome;
    this.fireEnd();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox = [];
    this.onFinish?.();
  }

  private fireEnd(): void {
    if (!this.outcome || this.endFired || !this.endListener) return;
    this.endFired = true;
    this.endListener(this.outcome.error);
  }
}
