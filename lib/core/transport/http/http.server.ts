/**
 * The server half of the HTTP transport: go-micro's mucp over HTTP/1.1. Each `POST` is one
 * unary call; the reply is a `200` whose headers carry the message header (an application error
 * travels as a `Micro-Error` header with an empty body). Refusals (405 for another method, 413 for
 * a body over `maxBodySize`, which is never buffered) are 200s with the MicroError too, because
 * go-micro's client reads `Micro-Error` only on a 200 and turns any other status into bare text.
 * Pipelined requests are answered one at a time per connection (pipelining.ts), so a client that
 * does not read its replies holds at most one. Exported separately so the TCP transport can hand
 * sniffed HTTP connections to the same server.
 *
 * Timeouts (HttpTimeouts, set deliberately rather than left to node:http's defaults): a request's
 * headers must arrive within `headersTimeout` (10 s) and its whole body within `requestTimeout`
 * (30 s) of its first byte — so a client that sends a header and never the body holds its buffered
 * bytes and its connection for at most that long, and is answered with a Micro-Error 408 (on a 200,
 * as above) before the connection closes — closed for good even if that client neither reads nor
 * closes its side. Neither covers the handler: once the body is in, the caller's own Timeout
 * applies. The reply does: one the client takes no byte of for `requestTimeout` closes the
 * connection, so a client that never reads holds its reply at most that long. Idle keep-alive
 * connections close after `keepAliveTimeout` (60 s, unchanged). Set them with the transport's `httpTimeouts` option. Node checks these every
 * `connectionsCheckingInterval` (1 s, or a quarter of the shortest timeout when that is shorter).
 *
 * go-micro stream connections (`Micro-Stream`, served apart by stream-server.ts) outlive a request
 * and have none of node:http's timeouts once their first headers are in; `streamIdleTimeout`
 * (5 min, as the framed TCP server's idle streams and connections) ends a stream on which no message
 * moved either way for that long with a 408, and closes its connection. A stream with messages
 * flowing in either direction is never idle; 0 turns it off (for streams quiet by design).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MicroError } from '../../errors/micro-error.js';
import { HEADER } from '../../metadata/headers.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT } from '../idle-streams.js';
import type { Acceptor, HttpTimeouts, ListenOptions, Message, Peer } from '../transport.js';
import { socketAddress } from '../../net/address.js';
import { fromHttpHeaders, toHttpHeaders } from './http.headers.js';
import { inTurn, tooManyPipelined } from './pipelining.js';
import { ERROR_ID } from '../../errors/ids.js';
import { DEFAULT_MAX_BODY } from '../../limits.js';

const SERVER_ID = ERROR_ID.server;

export const DEFAULT_HTTP_TIMEOUTS: Required<HttpTimeouts> = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 60_000,
  streamIdleTimeout: DEFAULT_STREAM_IDLE_TIMEOUT,
};

export function createHttpServer(acceptor: Acceptor, options: ListenOptions = {}): Server {
  const maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...options.httpTimeouts };
  // node:http refuses a headers timeout longer than the request timeout
  const headersTimeout =
    t.requestTimeout > 0 ? Math.min(t.headersTimeout, t.requestTimeout) : t.headersTimeout;
  const shortest = Math.min(...[headersTimeout, t.requestTimeout].filter((ms) => ms > 0), 4_000);
  const limits: Limits = {
    maxBody,
    replyTimeout: t.requestTimeout,
    keepAlive: t.keepAliveTimeout > 0,
  };
  const server = createServer(
    {
      keepAlive: true,
      noDelay: true,
      headersTimeout,
      requestTimeout: t.requestTimeout,
      connectionsCheckingInterval: Math.max(10, Math.floor(shortest / 4)),
    },
    (req, res) => handle(acceptor, limits, req, res),
  );
  server.keepAliveTimeout = t.keepAliveTimeout;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // as node:http's own handler: never write into a reply already under way
    // oxlint-disable-next-line no-underscore-dangle -- the field node:http's default handler reads
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) return socket.destroy();
    // closed once the answer is out, even if the client neither reads nor closes its side
    const answer =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? requestTimedOut(t)
        : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
    socket.end(answer, () => socket.destroy());
  });
  return server;
}

/** The raw reply to a request that did not arrive in time: a Micro-Error 408, then the close. */
function requestTimedOut(t: Required<HttpTimeouts>): string {
  const error = MicroError.timeout(
    SERVER_ID,
    `request not received in time (headers within ${t.headersTimeout} ms, body within ${t.requestTimeout} ms)`,
  );
  const headers = toHttpHeaders({ [HEADER.error]: error.toString() }, 0);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}\r\n`);
  return `HTTP/1.1 200 OK\r\n${lines.join('')}Connection: close\r\n\r\n`;
}

interface Limits {
  maxBody: number;
  /** A reply the client takes no byte of for this long closes the connection (0: never). */
  replyTimeout: number;
  /** Whether node:http times idle connections out (and so replaces the reply's timeout). */
  keepAlive: boolean;
}

function handle(acceptor: Acceptor, limits: Limits, req: IncomingMessage, res: ServerResponse): void {
  const { maxBody } = limits;
  const header = fromHttpHeaders(req.headers);
  if (req.method !== 'POST') {
    return refuse(res, MicroError.methodNotAllowed(SERVER_ID, `method ${req.method} not allowed: use POST`));
  }
  if (header[HEADER.stream] !== undefined) {
    return refuse(
      res,
      MicroError.methodNotAllowed(SERVER_ID, 'streaming is not served over this HTTP transport yet'),
    );
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBody) return refuse(res, tooLarge(maxBody), true);

  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > maxBody) {
      refused = true;
      chunks.length = 0;
      refuse(res, tooLarge(maxBody), true);
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (refused) return;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    // pipelined requests are answered one at a time (pipelining.ts)
    if (!inTurn(req, res, () => call(acceptor, limits, req, res, { header, body }))) {
      refuse(res, tooManyPipelined(SERVER_ID));
    }
  });
}

function call(
  acceptor: Acceptor,
  limits: Limits,
  req: IncomingMessage,
  res: ServerResponse,
  request: Message,
): void {
  const peer: Peer = {
    local: socketAddress(req.socket.localAddress, req.socket.localPort),
    remote: socketAddress(req.socket.remoteAddress, req.socket.remotePort),
  };
  let replied = false;
  try {
    acceptor.call(
      request,
      (message) => {
        if (replied) return;
        replied = true;
        reply(res, message, limits);
      },
      peer,
    );
  } catch (error) {
    if (!replied) refuse(res, MicroError.internalServerError(SERVER_ID, (error as Error).message));
  }
}

function reply(res: ServerResponse, message: Message, limits: Limits): void {
  if (res.destroyed || res.headersSent) return;
  // a client that stops reading its reply: the connection goes after replyTimeout without progress
  const socket = res.socket;
  if (limits.replyTimeout > 0 && socket) {
    res.setTimeout(limits.replyTimeout, () => res.destroy());
    // once the reply is out node:http puts its keep-alive timeout back; without one, no timeout
    if (!limits.keepAlive) res.once('finish', () => socket.setTimeout(0));
  }
  try {
    res.writeHead(200, toHttpHeaders(message.header, message.body.length));
  } catch (error) {
    // toHttpHeaders makes every value writable; should node:http still refuse one, answer anyway
    return refuse(
      res,
      MicroError.internalServerError(SERVER_ID, `reply not writable: ${(error as Error).message}`),
    );
  }
  res.end(message.body);
}

/** Answers with a Micro-Error header; `close` drops the connection (the unread body with it). */
function refuse(res: ServerResponse, error: MicroError, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers = toHttpHeaders({ [HEADER.error]: error.toString() }, 0);
  if (close) headers.Connection = 'close';
  res.writeHead(200, headers);
  res.end();
  if (close) res.once('finish', () => res.socket?.destroySoon?.());
}

function tooLarge(maxBody: number): MicroError {
  return MicroError.payloadTooLarge(SERVER_ID, `request body exceeds the limit of ${maxBody} bytes`);
}
