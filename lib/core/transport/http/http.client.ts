/**
 * The client half of the HTTP transport: one `POST /` per unary call over keep-alive connections
 * pooled per node address by an undici Pool (size and idle TTL configurable; far lighter per call
 * than node:http's client). Connections the server closed are dropped by the pool; a refused
 * connection is marked retryable (the request certainly was not delivered). Streams get a
 * connection each, as go-micro's client does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import { MicroError } from '../../errors/micro-error.js';
import { HEADER, timerDelay } from '../../metadata/headers.js';
import type { Message, Socket, TransportCallOptions, TransportClient } from '../transport.js';
import { splitHostPort } from '../../net/address.js';
import { fromHttpHeaders, toHttpHeaders } from './http.headers.js';
import { openHttpStream } from './stream-client.js';
import { ERROR_ID } from '../../errors/ids.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';

const TRANSPORT_ID = ERROR_ID.transport;
/** Connection failures after which the request certainly was not handled. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export class HttpTransportClient implements TransportClient {
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly address: string,
    private readonly pool: Pool,
  ) {
    const { host, port } = splitHostPort(address);
    this.host = host || '127.0.0.1';
    this.port = port;
  }

  call(
    message: Message,
    options: TransportCallOptions,
    callback: (error: MicroError | null, reply?: Message) => void,
  ): void {
    const handler = new ReplyHandler(this.address, callback);
    // a timeout past what setTimeout holds (Infinity included) waits that long, not 1 ms
    const wait = timerDelay(options.timeout);
    handler.timer = setTimeout(() => handler.timeout(options.timeout), wait);
    this.pool.dispatch(
      {
        path: '/',
        method: 'POST',
        headers: toHttpHeaders(message.header, message.body.length) as Record<string, string>,
        body: message.body,
      },
      handler,
    );
  }

  /** A stream on a fresh connection, as go-micro's client does (stream-client.ts). */
  stream(first: Message): Socket {
    return openHttpStream(first, {
      host: this.host,
      port: this.port,
      address: this.address,
      maxBody: DEFAULT_MAX_BODY, // the largest stream reply accepted: the server's default request limit
      connectTimeout: 5_000,
    });
  }
}

/** Collects one reply through undici's dispatch callbacks and reports it exactly once. */
class ReplyHandler implements Dispatcher.DispatchHandler {
  timer?: NodeJS.Timeout;
  private controller?: Dispatcher.DispatchController;
  private status = 0;
  private statusText = '';
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private done = false;

  constructor(
    private readonly address: string,
    private readonly callback: (error: MicroError | null, reply?: Message) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('call already settled'));
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    text?: string,
  ): void {
    this.status = status;
    this.headers = headers;
    this.statusText = text ?? '';
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const header = fromHttpHeaders(this.headers);
    if (this.status !== 200 && header[HEADER.error] === undefined) {
      const detail = `unexpected HTTP status ${this.status} ${this.statusText}`.trim();
      return this.finish(new MicroError(TRANSPORT_ID, detail, this.status >= 400 ? this.status : 500));
    }
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.finish(null, { header, body });
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const detail = `connection to ${this.address} failed: ${code || error.message}`;
    this.finish(MicroError.unavailable(TRANSPORT_ID, detail, NOT_SENT.has(code)));
  }

  timeout(ms: number): void {
    this.finish(MicroError.timeout(TRANSPORT_ID, `call to ${this.address} timed out after ${ms}ms`));
    this.controller?.abort(new Error('timed out'));
  }

  private finish(error: MicroError | null, reply?: Message): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.callback(error, reply);
  }
}
