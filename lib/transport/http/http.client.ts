/**
 * The client half of the HTTP transport: one `POST /` per unary call over keep-alive
 * connections pooled per node address by a node:http Agent (size and idle TTL configurable).
 * Sockets the server closed are dropped by the agent; a request that failed on a reused socket
 * before any reply is marked retryable, as is a refused connection. Streams get a connection each.
 */
import { request, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { MicroError } from '../../errors/micro-error.js';
import { HEADER } from '../../metadata/headers.js';
import type { CallOptions, Message, Socket, TransportClient } from '../transport.js';
import { splitAddress } from '../transport.js';
import { fromHttpHeaders, toHttpHeaders } from './http.headers.js';
import { openHttpStream } from './stream-client.js';

const TRANSPORT_ID = 'go.micro.transport';
/** Largest stream reply accepted (the server's default request limit). */
const STREAM_MAX_BODY = 4 * 1024 * 1024;
/** Connection failures after which the request certainly was not handled. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export class HttpTransportClient implements TransportClient {
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly address: string,
    private readonly agent: Agent,
  ) {
    const { host, port } = splitAddress(address);
    this.host = host || '127.0.0.1';
    this.port = port;
  }

  call(
    message: Message,
    options: CallOptions,
    callback: (error: MicroError | null, reply?: Message) => void,
  ): void {
    let done = false;
    const finish = (error: MicroError | null, reply?: Message): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback(error, reply);
    };
    const req: ClientRequest = request(
      {
        host: this.host,
        port: this.port,
        method: 'POST',
        path: '/',
        agent: this.agent,
        headers: toHttpHeaders(message.header, message.body.length),
      },
      (res) => readReply(res, finish),
    );
    const timer = setTimeout(() => {
      finish(
        MicroError.timeout(TRANSPORT_ID, `call to ${this.address} timed out after ${options.timeout}ms`),
      );
      req.destroy();
    }, options.timeout);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish(connectionError(this.address, error, req.reusedSocket)),
    );
    req.end(message.body);
  }

  /** A stream on a fresh connection, as go-micro's client does (stream-client.ts). */
  stream(first: Message): Socket {
    return openHttpStream(first, {
      host: this.host,
      port: this.port,
      address: this.address,
      maxBody: STREAM_MAX_BODY,
      connectTimeout: 5_000,
    });
  }
}

function readReply(res: IncomingMessage, finish: (error: MicroError | null, reply?: Message) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('error', (error) =>
    finish(MicroError.unavailable(TRANSPORT_ID, `reply broken: ${error.message}`, false)),
  );
  res.on('end', () => {
    const header = fromHttpHeaders(res.headers);
    const status = res.statusCode ?? 0;
    if (status !== 200 && header[HEADER.error] === undefined) {
      return finish(
        new MicroError(
          TRANSPORT_ID,
          `unexpected HTTP status ${status} ${res.statusMessage ?? ''}`.trim(),
          status >= 400 ? status : 500,
        ),
      );
    }
    finish(null, { header, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
  });
}

function connectionError(address: string, error: NodeJS.ErrnoException, reusedSocket: boolean): MicroError {
  const code = error.code ?? '';
  const retryable = NOT_SENT.has(code) || (reusedSocket && code === 'ECONNRESET');
  return MicroError.unavailable(
    TRANSPORT_ID,
    `connection to ${address} failed: ${code || error.message}`,
    retryable,
  );
}
