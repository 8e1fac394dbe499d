/**
 * One stream of the framed TCP transport, on either side of a connection: the `Socket` of
 * transport.ts with per-stream credit-based flow control. `send` spends credit (payload bytes) and
 * returns false once it is used up; later messages wait locally until the peer grants WINDOW credit,
 * then `onDrain` fires. Credit goes back to the peer as our application consumes messages;
 * `pause()` stops delivery (so no credit goes back and the peer stops within one window). Every
 * message written or received marks the stream as moving, for the server's idle-stream sweep
 * (../idle-streams.ts).
 */
import type { MicroError } from '../../errors/micro-error.js';
import type { IdleTracked } from '../idle-streams.js';
import type { Message, Socket } from '../transport.js';
import { cancelled, frameTooLarge, headerTooLong } from './errors.js';
import { FRAME_TOO_LARGE, type FrameWriter } from './frame-writer.js';
import { INITIAL_WINDOW, T_END, T_MESSAGE } from './protocol.js';

/** What a stream needs from its connection. */
export interface StreamHost {
  readonly writer: FrameWriter;
  readonly errorId: string;
  readonly local: string;
  readonly remote: string;
  /** The stream is over on this side: forget its id. */
  release(id: number): void;
}

interface Queued {
  message: Message;
  size: number;
}

export class StreamSocket implements Socket, IdleTracked {
  moved = true;
  quiet = 0;
  private credit = INITIAL_WINDOW;
  /** What the peer may still send before we grant more. */
  private peerCredit = INITIAL_WINDOW;
  private consumed = 0;
  private blocked: Message[] = [];
  private inbox: Queued[] = [];
  private wantDrain = false;
  private paused = false;
  private localEnded = false;
  private endQueued = false;
  private remoteEnded = false;
  private finished = false;
  private released = false;
  private ended = false;
  private endResult: { error?: MicroError } | undefined;
  private messageListener: ((message: Message) => void) | undefined;
  private endListener: ((error?: MicroError) => void) | undefined;
  private drainListener: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    /** Frame type of the next message: OPEN for a client's first, then MESSAGE. */
    private nextType = T_MESSAGE,
  ) {}

  get local(): string {
    return this.host.local;
  }

  get remote(): string {
    return this.host.remote;
  }

  send(message: Message): boolean {
    if (this.finished || this.localEnded) return false;
    if (this.blocked.length > 0 || this.credit <= 0) {
      this.blocked.push(message);
      this.wantDrain = true;
      return false;
    }
    if (!this.write(message)) return false;
    if (this.credit > 0) return true;
    this.wantDrain = true;
    return false;
  }

  onMessage(listener: (message: Message) => void): void {
    this.messageListener = listener;
    this.flushInbox();
  }

  /** Holds arriving messages (and the end) undelivered; the peer runs out of credit within a window. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flushInbox();
  }

  onEnd(listener: (error?: MicroError) => void): void {
    this.endListener = listener;
    if (this.endResult && !this.ended) this.fireEnd();
  }

  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  end(): void {
    if (this.localEnded || this.finished) return;
    this.localEnded = true;
    if (this.blocked.length > 0) {
      this.endQueued = true;
      return;
    }
    this.host.writer.frame(T_END, this.id, 0);
    if (this.remoteEnded) this.release();
  }

  close(error?: MicroError): void {
    if (this.finished) return;
    this.host.writer.reset(this.id, error ? error.toString() : '');
    this.abort(error ?? cancelled(this.host.errorId));
  }

  // ---- called by the connection ----

  /** A MESSAGE (or OPEN) for this stream arrived. Returns false when the peer broke flow control. */
  receive(message: Message, size: number): boolean {
    if (this.finished || this.remoteEnded) return true;
    if (this.peerCredit <= 0) return false;
    this.peerCredit -= size;
    this.moved = true;
    if (this.messageListener && this.inbox.length === 0 && !this.paused) this.deliver(message, size);
    else this.inbox.push({ message, size });
    return true;
  }

  receiveEnd(): void {
    if (this.finished || this.remoteEnded) return;
    this.remoteEnded = true;
    if (this.inbox.length === 0) this.emitEnd(undefined);
    if (this.localEnded && !this.endQueued) this.release();
  }

  receiveWindow(increment: number): void {
    if (this.finished) return;
    this.credit += increment;
    while (this.blocked.length > 0 && this.credit > 0 && !this.finished) {
      if (!this.write(this.blocked.shift()!)) return;
    }
    if (this.blocked.length > 0 || this.finished) return;
    if (this.endQueued) {
      this.endQueued = false;
      this.host.writer.frame(T_END, this.id, 0);
      if (this.remoteEnded) this.release();
    }
    if (this.wantDrain && this.credit > 0) {
      this.wantDrain = false;
      this.safe(this.drainListener);
    }
  }

  /** The peer reset the stream, or the connection is gone. */
  abort(error: MicroError): void {
    if (this.finished) return;
    this.finished = true;
    this.blocked = [];
    this.inbox = [];
    this.release();
    this.emitEnd(error);
  }

  // ---- internals ----

  private flushInbox(): void {
    const listener = this.messageListener;
    while (this.inbox.length > 0 && this.messageListener === listener && !this.finished && !this.paused) {
      const next = this.inbox.shift()!;
      this.deliver(next.message, next.size);
    }
    if (this.inbox.length === 0 && this.remoteEnded) this.emitEnd(undefined);
  }

  private write(message: Message): boolean {
    const size = this.host.writer.message(this.nextType, this.id, message);
    this.nextType = T_MESSAGE;
    this.moved = true;
    if (size < 0) {
      const limit = this.host.writer.peerMaxFrame;
      this.close(
        size === FRAME_TOO_LARGE ? frameTooLarge(this.host.errorId, limit) : headerTooLong(this.host.errorId),
      );
      return false;
    }
    this.credit -= size;
    return true;
  }

  private deliver(message: Message, size: number): void {
    try {
      this.messageListener!(message);
    } catch {
      /* a listener's exception must not break the connection */
    }
    this.consumed += size;
    if (this.consumed >= INITIAL_WINDOW / 2 && !this.finished && !this.remoteEnded) {
      this.host.writer.window(this.id, this.consumed);
      this.peerCredit += this.consumed;
      this.consumed = 0;
    }
  }

  private emitEnd(error: MicroError | undefined): void {
    if (this.endResult) return;
    this.endResult = { error };
    if (this.endListener) this.fireEnd();
  }

  private fireEnd(): void {
    this.ended = true;
    const listener = this.endListener!;
    this.safe(() => listener(this.endResult!.error));
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.host.release(this.id);
  }

  private safe(fn: (() => void) | undefined): void {
    if (!fn) return;
    try {
      fn();
    } catch {
      /* listeners must not break the connection */
    }
  }
}
