/**
 * One accepted connection of the framed TCP transport, after sniffing: decodes frames, hands
 * unary calls and streams to the Acceptor and writes their replies. Bad input is contained: a
 * malformed message gets a RESET carrying a MicroError, a protocol violation closes this connection
 * only, and nothing thrown by the acceptor escapes an event handler. A connection idle for
 * `idleTimeout` (default 5 min, longer than our clients' 60 s) is closed, so idle or half-sent
 * connections do not hold memory forever. A stream on which no message moved either way for
 * `streamIdleTimeout` (default 5 min) is reset with a 408, which its handler sees as its input's
 * error (../idle-streams.ts); the connection, shared by other calls, stays until it is idle itself.
 */
import type { Socket as NetSocket } from 'node:net';
import { MicroError } from '../../errors/micro-error.js';
import { IdleStreams } from '../idle-streams.js';
import type { Acceptor, Message, Peer, Reply } from '../transport.js';
import { socketAddress } from '../../net/address.js';
import { frameTooLarge, fromResetPayload, headerTooLong } from './errors.js';
import { BACKLOG_LIMIT, FRAME_TOO_LARGE, FrameWriter } from './frame-writer.js';
import { BatchedReading } from './batched-reading.js';
import { FrameParser, READ_BATCH, type ParseError } from './frame-parser.js';
import { decodeHeader } from './header-codec.js';
import {
  SERVER_ERROR_ID,
  T_END,
  T_MESSAGE,
  T_OPEN,
  T_PING,
  T_PONG,
  T_REPLY,
  T_REQUEST,
  T_RESET,
  T_WINDOW,
} from './protocol.js';
import { StreamSocket, type StreamHost } from './stream-socket.js';

export interface ServerLimits {
  maxBody: number;
  maxFrame: number;
  /**
   * A connection silent this long (nothing read or written) with no call or stream in flight is sent
   * GOAWAY and closed; one still there after another such spell is destroyed. 0: never.
   */
  idleTimeout: number;
  /** A stream on which no message moved either way this long is reset with a 408. 0: never. */
  streamIdleTimeout: number;
}

/** How long a connection that broke the protocol may take to deliver its in-flight replies. */
const PROTOCOL_ERROR_GRACE = 5_000;

export class ServerConnection implements StreamHost {
  readonly writer: FrameWriter;
  readonly errorId = SERVER_ERROR_ID;
  readonly local: string;
  readonly remote: string;
  private readonly peer: Peer;
  private readonly parser: FrameParser;
  private readonly streams = new Map<number, StreamSocket>();
  private inflight = 0;
  private goingAway = false;
  private closed = false;
  private readonly reading: BatchedReading;
  private readonly idle: IdleStreams<StreamSocket>;

  constructor(
    private readonly socket: NetSocket,
    private readonly acceptor: Acceptor,
    private readonly limits: ServerLimits,
    private readonly onGone: (connection: ServerConnection) => void,
  ) {
    this.local = socketAddress(socket.localAddress, socket.localPort);
    this.remote = socketAddress(socket.remoteAddress, socket.remotePort);
    this.peer = { local: this.local, remote: this.remote };
    this.writer = new FrameWriter(socket, Infinity);
    this.idle = new IdleStreams(
      limits.streamIdleTimeout,
      this.streams,
      (stream, error) => stream.close(error),
      SERVER_ERROR_ID,
    );
    this.parser = new FrameParser(
      limits.maxFrame,
      (type, id, buf, start, end) => this.onFrame(type, id, buf, start, end),
      (error) => this.onParseError(error),
      READ_BATCH,
    );
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // a client that sends requests but does not read the replies: stop reading until it catches up
    this.writer.onBacklog = () => {
      if (socket.isPaused()) return;
      socket.pause();
      socket.once('drain', () => socket.resume());
    };
    this.reading = new BatchedReading(socket, this.parser, {
      flush: () => this.writer.flush(),
      isClosed: () => this.closed,
      fail: () => socket.destroy(),
      mayRead: () => socket.writableLength <= BACKLOG_LIMIT,
    });
    socket.on('data', (data: Buffer) => this.reading.push(data));
    socket.on('error', () => {
      /* 'close' follows */
    });
    socket.on('close', () => this.onClose());
    if (limits.idleTimeout > 0) {
      socket.setTimeout(limits.idleTimeout);
      socket.on('timeout', () => this.onIdle());
    }
  }

  /** Starts the protocol with the bytes the sniffer already read. */
  start(first: Buffer): void {
    this.writer.preface();
    this.reading.push(first);
  }

  get busy(): number {
    return this.inflight + this.streams.size;
  }

  /** Draining: GOAWAY to the client, new calls refused (retryable), closed once in-flight work is done. */
  goAway(): void {
    if (this.goingAway || this.closed) return;
    this.goingAway = true;
    this.writer.goAway();
    this.settle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  release(id: number): void {
    this.streams.delete(id);
    this.settle();
  }

  private onFrame(type: number, id: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case T_REQUEST:
        return this.onRequest(id, buf, start, end);
      case T_OPEN:
        return this.onOpen(id, buf, start, end);
      case T_MESSAGE:
        return this.onStreamMessage(id, buf, start, end);
      case T_END:
        return this.streams.get(id)?.receiveEnd();
      case T_RESET:
        return this.streams.get(id)?.abort(fromResetPayload(buf, start, end, SERVER_ERROR_ID));
      case T_WINDOW:
        if (end - start >= 4) this.streams.get(id)?.receiveWindow(buf.readUInt32BE(start));
        return;
      case T_PING:
        if (end - start >= 8) this.writer.ping(T_PONG, buf.subarray(start, start + 8));
        return;
      case T_PONG:
        return;
      default:
        this.protocolError();
    }
  }

  private onRequest(id: number, buf: Buffer, start: number, end: number): void {
    const message = this.admit(id, buf, start, end);
    if (message === undefined) return;
    this.inflight++;
    let done = false;
    const reply: Reply = (answer) => {
      if (done) return;
      done = true;
      this.inflight--;
      this.writeReply(id, answer);
      if (this.goingAway) this.settle();
    };
    try {
      this.acceptor.call(message, reply, this.peer);
    } catch (error) {
      if (!done) {
        done = true;
        this.inflight--;
        this.refuse(
          id,
          MicroError.internalServerError(SERVER_ERROR_ID, (error as Error)?.message ?? 'error'),
        );
      }
    }
  }

  private onOpen(id: number, buf: Buffer, start: number, end: number): void {
    if (this.streams.has(id)) return this.protocolError();
    const message = this.admit(id, buf, start, end);
    if (message === undefined) return;
    const stream = new StreamSocket(id, this, T_MESSAGE);
    this.streams.set(id, stream);
    this.idle.watch();
    stream.receive(message, end - start);
    try {
      this.acceptor.stream(stream);
    } catch (error) {
      stream.close(MicroError.internalServerError(SERVER_ERROR_ID, (error as Error)?.message ?? 'error'));
    }
  }

  /** Decodes a REQUEST/OPEN; refuses it (RESET) when draining, malformed or over the body limit. */
  private admit(id: number, buf: Buffer, start: number, end: number): Message | undefined {
    if (this.goingAway) {
      this.refuse(id, MicroError.unavailable(SERVER_ERROR_ID, 'server is shutting down', true));
      return undefined;
    }
    const decoded = decodeHeader(buf, start, end);
    if (decoded === undefined) {
      this.refuse(id, MicroError.badRequest(SERVER_ERROR_ID, 'malformed message header'));
      return undefined;
    }
    if (end - decoded.end > this.limits.maxBody) {
      this.refuse(
        id,
        MicroError.payloadTooLarge(
          SERVER_ERROR_ID,
          `request body exceeds the limit of ${this.limits.maxBody} bytes`,
        ),
      );
      return undefined;
    }
    return { header: decoded.header, body: buf.subarray(decoded.end, end) };
  }

  private onStreamMessage(id: number, buf: Buffer, start: number, end: number): void {
    const stream = this.streams.get(id);
    if (stream === undefined) {
      return this.refuse(id, MicroError.badRequest(SERVER_ERROR_ID, `unknown stream id ${id}`));
    }
    const decoded = decodeHeader(buf, start, end);
    if (decoded === undefined) {
      return stream.close(MicroError.badRequest(SERVER_ERROR_ID, 'malformed stream message header'));
    }
    const message = { header: decoded.header, body: buf.subarray(decoded.end, end) };
    if (!stream.receive(message, end - start)) {
      stream.close(MicroError.badRequest(SERVER_ERROR_ID, 'peer sent beyond its flow-control window'));
    }
  }

  private writeReply(id: number, answer: Message): void {
    if (this.closed) return;
    let size: number;
    try {
      size = this.writer.message(T_REPLY, id, answer);
    } catch {
      return this.refuse(id, MicroError.internalServerError(SERVER_ERROR_ID, 'invalid reply message'));
    }
    if (size === FRAME_TOO_LARGE) this.refuse(id, frameTooLarge(SERVER_ERROR_ID, this.writer.peerMaxFrame));
    else if (size < 0) this.refuse(id, headerTooLong(SERVER_ERROR_ID));
  }

  private refuse(id: number, error: MicroError): void {
    if (!this.closed) this.writer.reset(id, error.toString());
  }

  private onParseError(error: ParseError): void {
    if (error.kind === 'too-large' && (error.type === T_REQUEST || error.type === T_OPEN)) {
      const limit = this.limits.maxFrame;
      this.refuse(error.id ?? 0, frameTooLarge(SERVER_ERROR_ID, limit));
    }
    this.protocolError();
  }

  /** The peer broke the protocol: parse nothing more, reset its streams, let in-flight replies go, close. */
  private protocolError(): void {
    this.parser.stop();
    const error = MicroError.badRequest(SERVER_ERROR_ID, 'protocol error on this connection');
    for (const stream of this.streams.values()) stream.close(error);
    this.goAway();
    setTimeout(() => this.socket.destroy(), PROTOCOL_ERROR_GRACE).unref();
  }

  /** Silent for `idleTimeout`: an idle client (or one stuck mid-frame) gives its memory back. */
  private onIdle(): void {
    if (this.closed) return;
    // Node re-arms the timeout only when something moves; a peer that reads nothing leaves our
    // writes pending and nothing moves again, so ask for the next spell now
    this.socket.setTimeout(this.limits.idleTimeout);
    // a slow handler is not idle; a quiet stream has its own rule (streamIdleTimeout)
    if (this.busy > 0) return;
    // told to go and still here after another quiet spell: destroy; otherwise GOAWAY first
    if (this.goingAway) this.socket.destroy();
    else this.goAway();
  }

  private settle(): void {
    if (!this.goingAway || this.closed || this.busy > 0) return;
    this.writer.flush();
    this.socket.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.stop();
    this.writer.close();
    this.idle.stop();
    const error = MicroError.unavailable(SERVER_ERROR_ID, 'connection closed', false);
    for (const stream of this.streams.values()) stream.abort(error);
    this.streams.clear();
    this.onGone(this);
  }
}
