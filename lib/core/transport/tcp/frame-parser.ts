/**
 * Incremental frame reader for one connection of the framed TCP transport: checks the peer's
 * PREFACE, then cuts the byte stream into frames (see protocol.ts) and hands each to `onFrame` as a
 * view into the received chunk. Partial frames are kept as a list of chunks and joined once, when
 * complete. A wrong preface or a frame over the limit stops the parser and reports through `onError`.
 *
 * With a `batch` limit, the parser suspends after that many frames of one received chunk: the rest
 * waits (`suspended` is true, later input is queued behind it) until `resume()`. The connection uses
 * this to yield to the event loop and write the replies to the first frames of a large chunk before
 * it handles the rest, so both peers work at once instead of in turns.
 */
import { FRAME_HEADER, PREFACE } from './protocol.js';

/**
 * Frames a connection handles from one received chunk before it yields to the event loop (writing
 * what those frames produced); see the note above.
 */
export const READ_BATCH = 32;

export type FrameHandler = (type: number, id: number, buf: Buffer, start: number, end: number) => void;

export interface ParseError {
  kind: 'preface' | 'too-large';
  /** For 'too-large': the frame's declared payload length, type and id. */
  length?: number;
  type?: number;
  id?: number;
}

export class FrameParser {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private needed = PREFACE.length;
  private prefaceSeen = false;
  private stopped = false;
  /** The unparsed rest of a chunk whose parsing was suspended, and input received since. */
  private rest: Buffer | undefined;
  private restOff = 0;
  private queued: Buffer[] = [];

  constructor(
    private readonly maxFrame: number,
    private readonly onFrame: FrameHandler,
    private readonly onError: (error: ParseError) => void,
    private readonly batch = Infinity,
  ) {}

  /** Parsing stopped after `batch` frames; call `resume()` to go on. */
  get suspended(): boolean {
    return this.rest !== undefined;
  }

  push(data: Buffer): void {
    if (this.stopped) return;
    if (this.rest !== undefined) {
      this.queued.push(data);
      return;
    }
    this.parse(data);
  }

  /** Goes on with the input held since the parser suspended (it may suspend again). */
  resume(): void {
    const rest = this.rest;
    if (rest === undefined || this.stopped) return;
    this.rest = undefined;
    this.parseFrom(rest, this.restOff);
    while (this.rest === undefined && !this.stopped && this.queued.length > 0) {
      this.parse(this.queued.shift()!);
    }
  }

  private parse(data: Buffer): void {
    let buf = data;
    if (this.pendingLength > 0) {
      this.pending.push(data);
      this.pendingLength += data.length;
      if (this.pendingLength < this.needed) return;
      buf = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
    }
    let off = 0;
    if (!this.prefaceSeen) {
      const n = Math.min(buf.length, PREFACE.length);
      if (buf.compare(PREFACE, 0, n, 0, n) !== 0) return this.fail({ kind: 'preface' });
      if (n < PREFACE.length) return this.keep(buf, 0, PREFACE.length);
      this.prefaceSeen = true;
      off = PREFACE.length;
    }
    this.parseFrom(buf, off);
  }

  private parseFrom(buf: Buffer, from: number): void {
    let off = from;
    const max = this.maxFrame;
    let frames = this.batch;
    while (!this.stopped) {
      const available = buf.length - off;
      if (available < FRAME_HEADER) return this.keep(buf, off, FRAME_HEADER);
      const length = buf.readUInt32BE(off);
      if (length > max) {
        return this.fail({ kind: 'too-large', length, type: buf[off + 4], id: buf.readUInt32BE(off + 5) });
      }
      const total = FRAME_HEADER + length;
      if (available < total) return this.keep(buf, off, total);
      if (frames-- === 0) {
        this.rest = buf;
        this.restOff = off;
        return;
      }
      const start = off + FRAME_HEADER;
      off += total;
      this.onFrame(buf[start - 5]!, buf.readUInt32BE(start - 4), buf, start, off);
    }
  }

  /** Stops parsing; later input is ignored. */
  stop(): void {
    this.stopped = true;
    this.rest = undefined;
    this.queued = [];
    this.pending = [];
    this.pendingLength = 0;
  }

  private keep(buf: Buffer, off: number, needed: number): void {
    if (off >= buf.length) return;
    this.pending.push(off === 0 ? buf : buf.subarray(off));
    this.pendingLength = buf.length - off;
    this.needed = needed;
  }

  private fail(error: ParseError): void {
    this.stop();
    this.onError(error);
  }
}
