/**
 * The server side of go-micro's HTTP stream connections. A go-micro client dials a fresh
 * connection per stream and writes `POST /` requests without waiting for answers; the server
 * writes a `200` response per message it sends, unpaired with the requests. Messages of several
 * streams may interleave, told apart by `Micro-Stream`. This connection parses requests with
 * llhttp (http1-parser.ts), opens a stream on the Acceptor for each new id, and writes responses
 * raw. A client EOS for a stream that is gone closes the connection (as go-micro does); malformed
 * input or an oversized message gets an in-band MicroError and the connection is closed; a client
 * that ends its side fails the streams it left open, and the connection closes once the rest are done.
 */
import type { Socket as NetSocket } from 'node:net';
import { MicroError } from '../../errors/micro-error.js';
import { canonicalHeader, HEADER } from '../../metadata/headers.js';
import { EOS, errorMessage } from '../../streaming/stream-wire.js';
import { socketAddress, type Acceptor, type Message } from '../transport.js';
import { head, Http1Parser, type Parsed } from './http1-parser.js';
import { cancelled, HttpStreamSocket, type StreamLink } from './stream-socket.js';

const SERVER_ID = 'go.micro.server';

export class HttpStreamServerConnection implements StreamLink {
  readonly local: string;
  readonly remote: string;
  private readonly parser: Http1Parser;
  private readonly streams = new Map<string, HttpStreamSocket>();
  private readonly holding = new Set<HttpStreamSocket>();
  private closed = false;
  private ending = false;

  constructor(
    private readonly socket: NetSocket,
    private readonly acceptor: Acceptor,
    maxBody: number,
    private readonly onGone: (connection: HttpStreamServerConnection) => void,
  ) {
    this.local = socketAddress(socket.localAddress, socket.localPort);
    this.remote = socketAddress(socket.remoteAddress, socket.remotePort);
    this.parser = new Http1Parser('request', maxBody, (message) => this.onRequest(message));
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

  private settle(): void {
    if (this.ending && this.streams.size === 0 && !this.closed) this.socket.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.close();
    const error = MicroError.unavailable(SERVER_ID, 'connection closed', false);
    for (const stream of this.streams.values()) stream.abort(error);
    this.streams.clear();
    this.onGone(this);
  }
}
