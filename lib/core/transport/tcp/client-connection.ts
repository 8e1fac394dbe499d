/**
 * One client connection of the framed TCP transport: many unary calls and streams multiplexed by
 * id. Calls are callbacks in a Map (no promise per call); one timer per connection serves every
 * call's deadline. When the connection dies, pending calls fail with a 503 that is retryable only
 * if their bytes never reached the socket; a GOAWAY from the server stops new calls on it.
 */
import { connect as netConnect, type Socket as NetSocket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { MicroError } from '../../errors/micro-error.js';
import { timerDelay } from '../../metadata/headers.js';
import type { Message } from '../transport.js';
import { callTimeout, connectionLost, frameTooLarge, fromResetPayload, headerTooLong } from './errors.js';
import { FRAME_TOO_LARGE, FrameWriter } from './frame-writer.js';
import { BatchedReading } from './batched-reading.js';
import { FrameParser, READ_BATCH, type ParseError } from './frame-parser.js';
import { decodeHeader } from './header-codec.js';
import {
  CLIENT_ERROR_ID,
  MAX_ID,
  T_END,
  T_GOAWAY,
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

export type CallCallback = (error: MicroError | null, reply?: Message) => void;

export interface ClientConnectionOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  /** Largest reply frame payload accepted. */
  maxFrame: number;
  /** Largest request frame payload the server is assumed to accept. */
  peerMaxFrame: number;
  idleTimeout: number;
  connectTimeout: number;
}

class PendingCall {
  constructor(
    readonly callback: CallCallback,
    readonly deadline: number,
    readonly timeout: number,
    readonly batch: number,
  ) {}
}

export class ClientConnection implements StreamHost {
  readonly writer: FrameWriter;
  readonly errorId = CLIENT_ERROR_ID;
  local = '';
  draining = false;
  closed = false;
  private readonly socket: NetSocket;
  private readonly parser: FrameParser;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, StreamSocket>();
  private nextId = 1;
  private wrapped = false;
  private connected = false;
  private failure = '';
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastUsed = Date.now();
  private readonly onTimer = (): void => this.expire();

  constructor(
    readonly remote: string,
    private readonly options: ClientConnectionOptions,
    private readonly onGone: (connection: ClientConnection) => void,
  ) {
    const { host, port } = options;
    const socket = options.tls
      ? tlsConnect({ ...options.tls, host, port, servername: options.tls.servername ?? serverName(host) })
      : netConnect({ host, port, noDelay: true });
    this.socket = socket;
    this.writer = new FrameWriter(socket, options.peerMaxFrame);
    this.parser = new FrameParser(
      options.maxFrame,
      (type, id, buf, start, end) => this.onFrame(type, id, buf, start, end),
      (error) => this.onParseError(error),
      READ_BATCH,
    );
    const connectTimer = setTimeout(() => this.destroy('connect timed out'), options.connectTimeout);
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      this.connected = true;
      this.local = `${socket.localAddress}:${socket.localPort}`;
      socket.setKeepAlive(true, 30_000);
    });
    const reading = new BatchedReading(socket, this.parser, {
      flush: () => this.writer.flush(),
      isClosed: () => this.closed,
      fail: (error) => this.destroy(`internal error: ${(error as Error).message}`),
    });
    socket.on('data', (data: Buffer) => reading.push(data));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ||= error.code ? `${error.code}: ${error.message}` : error.message;
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      this.onClose();
    });
    this.writer.preface();
    if (options.idleTimeout > 0) this.armIdle(options.idleTimeout);
  }

  get usable(): boolean {
    return !this.closed && !this.draining;
  }

  get busy(): number {
    return this.calls.size + this.streams.size;
  }

  call(request: Message, timeout: number, callback: CallCallback): void {
    if (this.closed) {
      process.nextTick(callback, connectionLost(this.remote, this.failure || 'closed', true));
      return;
    }
    const id = this.allocate();
    let size: number;
    try {
      size = this.writer.message(T_REQUEST, id, request);
    } catch {
      process.nextTick(callback, MicroError.badRequest(CLIENT_ERROR_ID, 'invalid request message'));
      return;
    }
    if (size < 0) {
      const error =
        size === FRAME_TOO_LARGE
          ? frameTooLarge(CLIENT_ERROR_ID, this.writer.peerMaxFrame)
          : headerTooLong(CLIENT_ERROR_ID);
      process.nextTick(callback, error);
      return;
    }
    const now = Date.now();
    this.lastUsed = now;
    const deadline = timeout > 0 && timeout < Infinity ? now + timeout : Infinity;
    this.calls.set(id, new PendingCall(callback, deadline, timeout, this.writer.batch));
    if (deadline < this.timerAt) this.arm(deadline, now);
  }

  stream(first: Message): StreamSocket {
    const id = this.allocate();
    const socket = new StreamSocket(id, this, T_OPEN);
    this.lastUsed = Date.now();
    this.streams.set(id, socket);
    socket.send(first);
    return socket;
  }

  release(id: number): void {
    this.streams.delete(id);
    this.settle();
  }

  /** Closes the connection now; pending calls fail with a 503. */
  destroy(reason: string): void {
    if (this.closed) return;
    this.failure ||= reason;
    this.socket.destroy();
  }

  /** Ids count up; only after wrapping around (2^32 ids) must they be checked against those in use. */
  private allocate(): number {
    let id = this.nextId;
    if (this.wrapped) while (this.calls.has(id) || this.streams.has(id)) id = id >= MAX_ID ? 1 : id + 1;
    if (id >= MAX_ID) {
      this.nextId = 1;
      this.wrapped = true;
    } else this.nextId = id + 1;
    return id;
  }

  private onFrame(type: number, id: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case T_REPLY:
        return this.onReply(id, buf, start, end);
      case T_RESET: {
        const call = this.calls.get(id);
        const error = fromResetPayload(buf, start, end, CLIENT_ERROR_ID);
        if (call) {
          this.calls.delete(id);
          this.finish(call, error);
        } else this.streams.get(id)?.abort(error);
        return this.settle();
      }
      case T_MESSAGE:
        return this.onStreamMessage(id, buf, start, end);
      case T_END:
        return this.streams.get(id)?.receiveEnd();
      case T_WINDOW:
        if (end - start >= 4) this.streams.get(id)?.receiveWindow(buf.readUInt32BE(start));
        return;
      case T_PING:
        if (end - start >= 8) this.writer.ping(T_PONG, buf.subarray(start, start + 8));
        return;
      case T_PONG:
        return;
      case T_GOAWAY:
        this.draining = true;
        return this.settle();
      default:
        this.destroy(`protocol error: unknown frame type ${type}`);
    }
  }

  private onReply(id: number, buf: Buffer, start: number, end: number): void {
    const call = this.calls.get(id);
    if (call === undefined) return; // timed out: a late reply is dropped
    this.calls.delete(id);
    const decoded = decodeHeader(buf, start, end);
    if (decoded === undefined) {
      this.finish(call, new MicroError(CLIENT_ERROR_ID, 'malformed reply header', 502));
    } else {
      this.finish(call, null, { header: decoded.header, body: buf.subarray(decoded.end, end) });
    }
    if (this.draining) this.settle();
  }

  private onStreamMessage(id: number, buf: Buffer, start: number, end: number): void {
    const stream = this.streams.get(id);
    if (stream === undefined) return; // already over on our side
    const decoded = decodeHeader(buf, start, end);
    if (decoded === undefined) {
      return stream.close(MicroError.badRequest(CLIENT_ERROR_ID, 'malformed stream message header'));
    }
    const message = { header: decoded.header, body: buf.subarray(decoded.end, end) };
    if (!stream.receive(message, end - start)) {
      stream.close(MicroError.badRequest(CLIENT_ERROR_ID, 'peer sent beyond its flow-control window'));
    }
  }

  private onParseError(error: ParseError): void {
    this.destroy(
      error.kind === 'preface'
        ? 'the peer does not speak the framed protocol'
        : `reply frame of ${error.length} bytes exceeds the limit of ${this.options.maxFrame}`,
    );
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.stop();
    this.writer.close();
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    const reason = this.failure || 'closed by the peer';
    const flushed = this.connected ? this.writer.flushed : 0;
    for (const call of this.calls.values()) {
      this.finish(call, connectionLost(this.remote, reason, call.batch > flushed));
    }
    this.calls.clear();
    for (const stream of this.streams.values()) {
      stream.abort(connectionLost(this.remote, reason, !this.connected));
    }
    this.streams.clear();
    this.onGone(this);
  }

  private finish(call: PendingCall, error: MicroError | null, reply?: Message): void {
    try {
      call.callback(error, reply);
    } catch (thrown) {
      process.emitWarning(thrown as Error);
    }
  }

  /** When draining and nothing is in flight, the connection is closed. */
  private settle(): void {
    if (this.draining && this.busy === 0) this.destroy('drained');
  }

  private arm(deadline: number, now: number): void {
    clearTimeout(this.timer);
    this.timerAt = deadline;
    // a deadline past what setTimeout holds fires after 1 ms: wait the most it holds, then look again
    this.timer = setTimeout(this.onTimer, Math.max(1, timerDelay(deadline - now)));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, call] of this.calls) {
      if (call.deadline <= now) {
        this.calls.delete(id);
        this.finish(call, callTimeout(this.remote, call.timeout));
      } else if (call.deadline < next) next = call.deadline;
    }
    if (next < Infinity && next < this.timerAt) this.arm(next, now);
    this.settle();
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      const idleFor = Date.now() - this.lastUsed;
      if (this.busy === 0 && idleFor >= this.options.idleTimeout) return this.destroy('idle');
      this.armIdle(Math.max(1, this.options.idleTimeout - (this.busy === 0 ? idleFor : 0)));
    }, ms);
    this.idleTimer.unref();
  }
}

/** SNI only for host names, never for IP literals (as Node requires). */
function serverName(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(':') ? undefined : host;
}
