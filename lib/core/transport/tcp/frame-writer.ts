/**
 * Batched frame output for one connection of the framed TCP transport. Frames are encoded into a
 * shared chunk (large bodies are referenced, not copied) and handed to the socket once per event
 * loop turn, corked, so a burst of calls or replies becomes one write.
 */
import type { Socket as NetSocket } from 'node:net';
import type { Message } from '../transport.js';
import { encodeHeader, headerBound } from './header-codec.js';
import { FRAME_HEADER, PREFACE, T_GOAWAY, T_PING, T_PONG, T_RESET, T_WINDOW } from './protocol.js';

const CHUNK = 64 * 1024;
/** Bodies at least this large are written as their own buffer instead of being copied. */
const BIG_BODY = 8 * 1024;
/** Output queued in the socket above which `onBacklog` is told (the peer is not reading). */
export const BACKLOG_LIMIT = 8 * 1024 * 1024;

/** `message` results below zero. */
export const HEADER_TOO_LONG = -1;
export const FRAME_TOO_LARGE = -2;

export class FrameWriter {
  /** Number of the batch being filled; every frame of a batch ≤ `flushed` was handed to the socket. */
  batch = 1;
  flushed = 0;
  /** The largest frame payload the peer accepts. */
  peerMaxFrame: number;
  private chunk = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private pos = 0;
  private parts: Buffer[] = [];
  private scheduled = false;
  private closed = false;
  /** Called after a flush that left more than BACKLOG_LIMIT bytes queued in the socket. */
  onBacklog: (() => void) | undefined;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly socket: NetSocket,
    peerMaxFrame: number,
  ) {
    this.peerMaxFrame = peerMaxFrame;
  }

  /** Queues a message frame; returns its payload length, or HEADER_TOO_LONG / FRAME_TOO_LARGE. */
  message(type: number, id: number, message: Message): number {
    const body = message.body;
    const inline = body.length < BIG_BODY;
    this.reserve(FRAME_HEADER + headerBound(message.header) + (inline ? body.length : 0));
    const chunk = this.chunk;
    const at = this.pos;
    const end = encodeHeader(message.header, chunk, at + FRAME_HEADER);
    if (end < 0) return HEADER_TOO_LONG;
    const length = end - at - FRAME_HEADER + body.length;
    if (length > this.peerMaxFrame) return FRAME_TOO_LARGE;
    chunk.writeUInt32BE(length, at);
    chunk[at + 4] = type;
    chunk.writeUInt32BE(id, at + 5);
    if (inline) {
      if (body.length > 0) body.copy(chunk, end);
      this.pos = end + body.length;
    } else {
      this.pos = end;
      this.cut();
      this.parts.push(body);
    }
    this.schedule();
    return length;
  }

  reset(id: number, errorJson: string): void {
    const payload = Buffer.from(errorJson, 'utf8');
    this.frame(T_RESET, id, payload.length);
    payload.copy(this.chunk, this.pos - payload.length);
  }

  window(id: number, increment: number): void {
    this.frame(T_WINDOW, id, 4);
    this.chunk.writeUInt32BE(increment, this.pos - 4);
  }

  ping(type: typeof T_PING | typeof T_PONG, data: Buffer): void {
    this.frame(type, 0, 8);
    data.copy(this.chunk, this.pos - 8, 0, 8);
  }

  goAway(): void {
    this.frame(T_GOAWAY, 0, 0);
  }

  /** A frame without payload (END), or one whose payload the caller writes just before `pos`. */
  frame(type: number, id: number, payloadLength: number): void {
    this.reserve(FRAME_HEADER + payloadLength);
    const at = this.pos;
    this.chunk.writeUInt32BE(payloadLength, at);
    this.chunk[at + 4] = type;
    this.chunk.writeUInt32BE(id, at + 5);
    this.pos = at + FRAME_HEADER + payloadLength;
    this.schedule();
  }

  preface(): void {
    this.reserve(PREFACE.length);
    PREFACE.copy(this.chunk, this.pos);
    this.pos += PREFACE.length;
    this.schedule();
  }

  /** Hands everything queued to the socket now. */
  flush(): void {
    this.scheduled = false;
    this.cut();
    const parts = this.parts;
    if (parts.length === 0) return;
    this.parts = [];
    if (this.closed || this.socket.destroyed) return;
    this.flushed = this.batch++;
    if (parts.length === 1) {
      this.socket.write(parts[0]!);
    } else {
      this.socket.cork();
      for (let i = 0; i < parts.length; i++) this.socket.write(parts[i]!);
      this.socket.uncork();
    }
    if (this.onBacklog !== undefined && this.socket.writableLength > BACKLOG_LIMIT) this.onBacklog();
  }

  /** Drops whatever is queued; later frames are discarded. */
  close(): void {
    this.closed = true;
    this.parts = [];
    this.start = this.pos;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }

  private reserve(n: number): void {
    if (this.chunk.length - this.pos >= n) return;
    this.cut();
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.start = 0;
    this.pos = 0;
  }

  private cut(): void {
    if (this.pos > this.start) {
      this.parts.push(this.chunk.subarray(this.start, this.pos));
      this.start = this.pos;
    }
  }
}
