/**
 * The server side of go-micro's HTTP stream connections. A go-micro client dials a fresh
 * connection per stream and writes `POST /` requests without waiting for answers; the server
 * writes a `200` response per message it sends, unpaired with the requests. Messages of several
 * streams may interleave, told apart by `Micro-Stream`. This connection parses requests with
 * llhttp (http1-parser.ts), opens a stream on the Acceptor for each new id, and writes responses
 * raw. A client EOS for a stream that is gone closes the connection (as go-micro does); malformed
 * input or an oversized message gets an in-band MicroError and the connection is closed; a client
 * that ends its side fails the streams it left open, and the connection closes once the rest are done.
 * A stream on which no message moved either way for `streamIdleTimeout` (httpTimeouts, default
 * 5 min) ends with a 408 — in band to the client, as its input's error to the handler — and a
 * connection left without streams by that, or without any for as long, is closed.
 */
import type { Socket as NetSocket } from 'node:net';
import { MicroError } from '../../errors/micro-error.js';
import { canonicalHeader, HEADER } from '../../metadata/headers.js';
import { EOS, errorMessage } from '../stream-wire.js';
import { IdleStreams } from '../idle-streams.js';
import type { Acceptor, Message } from '../transport.js';
import { socketAddress } from '../../net/address.js';
import { head, Http1Parser, type Parsed } from './http1-parser.js';
import { cancelled, HttpStreamSocket, type StreamLink } from './stream-socket.js';
import { ERROR_ID } from '../../errors/ids.js';

const SERVER_ID = ERROR_ID.server;
/** How long a connection closed for idleness may take to flush its last bytes before it is destroyed. */
const CLOSE_GRACE = 5_000;

export interface StreamServerLimits {
  maxBody: number;
  /** ms without a message on a stream before it ends with a 408; 0: never. */
  streamIdleTimeout: number;
}

export class HttpStreamServerConnection implements StreamLink {
  readonly local: string;
  readonly remote: string;
  private readonly parser: Http1Parser;
  private readonly streams = new Map<string, HttpStreamSocket>();
  private readonly holding = new Set<HttpStreamSocket>();
  private readonly idle: IdleStreams<HttpStreamSocket>;
  private closed = false;
  private ending = false;
  private forceClose: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: NetSocket,
    private readonly acceptor: Acceptor,
    limits: StreamServerLimits,
    private readonly onGone: (connection: HttpStreamServerConnection) => void,
  ) {
    this.local = socketAddress(socket.localAddress, socket.localPort);
    this.remote = socketAddress(socket.remoteAddress, socket.remotePort);
    this.parser = new Http1Parser('request', limits.maxBody, (message) => this.onRequest(message));
    this.idle = new IdleStreams(
      limits.streamIdleTimeout,
      this.streams,
      (stream, error) => this.expire(stream, error),
      SERVER_ID,
      () => this.closeIdle(),
    );
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.push(data));
    socket.on('drain', () => {
      for (const stream of this.streams.values()) stream.drained();
    });
    socket.on('error', () => {
      /* 'close' follows */
    });
    socket.on('end', () => this.onPeerEnd());
    socket.on('close', () => this.onClose());
  }

  /** Starts with the bytes already read while the connection was being recognised. */
  start(first: Buffer): void {
    this.idle.watch();
    if (first.length > 0) this.push(first);
  }

  get busy(): number {
    return this.streams.size;
  }

  /** Ends the connection once its streams are done (server closing). */
  drain(): void {
    this.ending = true;
    this.settle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- StreamLink ----

  write(stream: HttpStreamSocket, message: Message): boolean {
    if (this.closed) return false;
    const header = { ...message.header, [HEADER.stream]: stream.id };
    this.socket.write(head('HTTP/1.1 200 OK', header, message.body.length, canonicalHeader), 'latin1');
    return message.body.length > 0 ? this.socket.write(message.body) : !this.socket.writableNeedDrain;
  }

  hold(stream: HttpStreamSocket, paused: boolean): void {
    if (paused) this.holding.add(stream);
    else this.holding.delete(stream);
    if (this.holding.size > 0) this.socket.pause();
    else if (!this.closed) this.socket.resume();
  }

  abort(stream: HttpStreamSocket, error: MicroError | undefined): void {
    this.write(stream, errorMessage(error ?? cancelled()));
  }

  release(stream: HttpStreamSocket): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.holding.delete(stream);
    this.settle();
  }

  // ---- input ----

  private push(data: Buffer): void {
    const error = this.parser.push(data);
    if (error) this.fail(error);
  }

  private onRequest(parsed: Parsed): void {
    if (this.closed) return;
    const id = parsed.header[HEADER.stream] ?? '';
    const existing = this.streams.get(id);
    if (parsed.tooLarge) {
      const error = MicroError.payloadTooLarge(SERVER_ID, 'stream message exceeds the body limit');
      existing?.abort(error);
      return this.fail(error);
    }
    const message: Message = { header: parsed.header, body: parsed.body };
    if (existing) return existing.receive(message);
    if (parsed.header[HEADER.error] === EOS) {
      // the client closing a stream we already finished: go-micro closes the connection here
      this.ending = true;
      return this.settle();
    }
    if (!id || parsed.method !== 'POST') {
      return this.fail(
        MicroError.badRequest(SERVER_ID, 'a stream connection carries only POST stream messages'),
      );
    }
    const stream = new HttpStreamSocket(id, this);
    this.streams.set(id, stream);
    this.idle.watch();
    stream.receive(message);
    try {
      this.acceptor.stream(stream);
    } catch (error) {
      stream.close(MicroError.internalServerError(SERVER_ID, (error as Error)?.message ?? 'error'));
    }
  }

  /** Bad input: the error in band (for go-micro's reader), then the connection closes. */
  private fail(error: MicroError): void {
    if (this.closed) return;
    this.parser.close();
    const header = { [HEADER.error]: error.toString(), Connection: 'close' };
    this.socket.end(head('HTTP/1.1 200 OK', header, 0, canonicalHeader), 'latin1');
    this.socket.destroySoon();
  }

  /**
   * The client sent its FIN: nothing more arrives. Streams it had not ended fail; the connection
   * ends once the others are done (an HTTP server socket is half-open here, so it would stay open).
   */
  private onPeerEnd(): void {
    if (this.closed) return;
    this.ending = true;
    const error = MicroError.unavailable(SERVER_ID, 'the client closed the connection', false);
    for (const stream of this.streams.values()) stream.peerEnded(error);
    this.settle();
  }

  /** Silent too long: a 408 in band and to the handler; the connection closes when that was its last. */
  private expire(stream: HttpStreamSocket, error: MicroError): void {
    stream.close(error);
    if (this.streams.size === 0) this.closeIdle();
  }

  /** Nothing to serve: end the connection after what is written, destroyed if that does not finish. */
  private closeIdle(): void {
    if (this.closed || this.forceClose) return;
    this.parser.close();
    this.socket.destroySoon();
    this.forceClose = setTimeout(() => this.socket.destroy(), CLOSE_GRACE);
    this.forceClose.unref();
  }

  private settle(): void {
    if (this.ending && this.streams.size === 0 && !this.closed) this.socket.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.close();
    this.idle.stop();
    clearTimeout(this.forceClose);
    const error = MicroError.unavailable(SERVER_ID, 'connection closed', false);
    for (const stream of this.streams.values()) stream.abort(error);
    this.streams.clear();
    this.onGone(this);
  }
}
