/**
 * Reading a framed connection in batches, on both ends: when the parser suspends after a batch of
 * frames of one large chunk (FrameParser's `batch`), reading stops for one event-loop turn so what
 * that batch produced (replies on a server, the next calls on a client) is written before the rest
 * is handled — both peers then work at once instead of in turns. While the host's write backlog is
 * over its limit (`mayRead`), held-back frames wait for the socket to drain. Frames held back when
 * the peer half-closes are handled at once, before the socket ends.
 */
import type { Socket as NetSocket } from 'node:net';
import type { FrameParser } from './frame-parser.js';

export interface BatchedReadingHost {
  /** Writes what the handled frames produced. */
  flush(): void;
  /** The connection is gone: stop. */
  isClosed(): boolean;
  /** The parser (or a frame handler) threw. */
  fail(error: unknown): void;
  /** Whether reading may go on now (a server holds off while its write backlog is over its limit). */
  mayRead?(): boolean;
}

export class BatchedReading {
  private scheduled = false;
  private readonly resumeNow = (): void => this.resume();

  constructor(
    private readonly socket: NetSocket,
    private readonly parser: FrameParser,
    private readonly host: BatchedReadingHost,
  ) {
    socket.prependListener('end', () => this.drainHeld());
  }

  push(data: Buffer): void {
    try {
      this.parser.push(data);
    } catch (error) {
      return this.host.fail(error);
    }
    if (this.parser.suspended) this.yieldToPeer();
  }

  private yieldToPeer(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.socket.pause();
    setImmediate(this.resumeNow);
  }

  private resume(): void {
    this.scheduled = false;
    if (this.host.isClosed()) return;
    this.host.flush();
    if (this.parser.suspended && !(this.host.mayRead?.() ?? true)) return this.awaitDrain();
    try {
      this.parser.resume();
    } catch (error) {
      return this.host.fail(error);
    }
    if (this.parser.suspended) this.yieldToPeer();
    else if (this.host.mayRead?.() ?? true) this.socket.resume();
  }

  /**
   * The peer is not reading what its frames produced: handle none of the frames it already sent
   * until it has (so a burst of small requests for large replies cannot fill memory with replies).
   */
  private awaitDrain(): void {
    this.scheduled = true;
    this.socket.pause();
    this.socket.once('drain', this.resumeNow);
  }

  /** The peer half-closed while frames were held back: handle them now and write their answers. */
  private drainHeld(): void {
    if (!this.parser.suspended) return;
    try {
      while (this.parser.suspended) this.parser.resume();
    } catch (error) {
      return this.host.fail(error);
    }
    this.host.flush();
  }
}
