/**
 * The client side of go-micro's HTTP stream framing: like go-micro's client, a fresh connection
 * per stream; every message is a `POST /` request carrying the opening message's headers, the
 * message's own and `Micro-Stream`, written without waiting for responses; the server's `200`
 * responses (parsed with llhttp) are the stream's incoming messages, EOS ends them. A non-200
 * response or a broken connection fails the stream with a 503 MicroError (retryable when the
 * connection was refused).
 */
import { connect, type Socket as NetSocket } from 'node:net';
import { MicroError } from '../../errors/micro-error.js';
import { canonicalHeader, HEADER } from '../../metadata/headers.js';
import type { Message, Socket } from '../transport.js';
import { head, Http1Parser, type Parsed } from './http1-parser.js';
import { HttpStreamSocket, type StreamLink } from './stream-socket.js';
import { ERROR_ID } from '../../errors/ids.js';

const TRANSPORT_ID = ERROR_ID.transport;
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export interface StreamDialOptions {
  host: string;
  port: number;
  address: string;
  maxBody: number;
  connectTimeout: number;
}

export function openHttpStream(first: Message, options: StreamDialOptions): Socket {
  return new HttpStreamClientConnection(first, options).stream;
}

class HttpStreamClientConnection implements StreamLink {
  readonly stream: HttpStreamSocket;
  local = '';
  readonly remote: string;
  private readonly socket: NetSocket;
  private readonly parser: Http1Parser;
  private readonly base: Record<string, string>;
  private connected = false;
  private failure = '';

  constructor(
    first: Message,
    private readonly options: StreamDialOptions,
  ) {
    this.remote = options.address;
    const id = first.header[HEADER.stream] || '1';
    this.base = { ...first.header, [HEADER.stream]: id };
    delete this.base[HEADER.error];
    this.stream = new HttpStreamSocket(id, this);
    this.parser = new Http1Parser('response', options.maxBody, (message) => this.onResponse(message));
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    this.socket = socket;
    const timer = setTimeout(
      () => this.drop(`connect timed out after ${options.connectTimeout} ms`),
      options.connectTimeout,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      this.connected = true;
      this.local = `${socket.localAddress}:${socket.localPort}`;
    });
    socket.on('data', (data: Buffer) => {
      const error = this.parser.push(data);
      if (error) this.failWith(new MicroError(TRANSPORT_ID, error.detail, 502));
    });
    socket.on('drain', () => this.stream.drained());
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ||= error.code ?? error.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      this.parser.close();
      const code = this.failure;
      const retryable = !this.connected && NOT_SENT.has(code);
      const detail = `stream connection to ${this.remote} ${this.connected ? 'lost' : 'failed'}: ${code || 'closed'}`;
      this.stream.abort(MicroError.unavailable(TRANSPORT_ID, detail, retryable));
    });
    this.write(this.stream, { header: {}, body: first.body });
  }

  write(_stream: HttpStreamSocket, message: Message): boolean {
    if (this.socket.destroyed) return false;
    const header = { ...this.base, ...message.header };
    const start = `POST / HTTP/1.1\r\nHost: ${this.options.address}`;
    this.socket.write(head(start, header, message.body.length, canonicalHeader), 'latin1');
    return message.body.length > 0 ? this.socket.write(message.body) : !this.socket.writableNeedDrain;
  }

  hold(_stream: HttpStreamSocket, paused: boolean): void {
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  abort(_stream: HttpStreamSocket, _error: MicroError | undefined): void {
    // go-micro's server learns of a cancelled stream from its connection closing
    this.socket.destroy();
  }

  release(): void {
    this.socket.end();
  }

  private onResponse(parsed: Parsed): void {
    if (parsed.status !== 200 && parsed.header[HEADER.error] === undefined) {
      return this.failWith(new MicroError(TRANSPORT_ID, `unexpected HTTP status ${parsed.status}`, 502));
    }
    if (parsed.tooLarge) {
      return this.failWith(MicroError.payloadTooLarge(TRANSPORT_ID, 'stream reply exceeds the body limit'));
    }
    this.stream.receive({ header: parsed.header, body: parsed.body });
  }

  private failWith(error: MicroError): void {
    this.stream.abort(error);
    this.socket.destroy();
  }

  private drop(reason: string): void {
    this.failure ||= reason;
    this.socket.destroy();
  }
}
