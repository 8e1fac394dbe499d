/**
 * The server half of the HTTP transport: go-micro's mucp over HTTP/1.1. Each `POST` is one
 * unary call; the reply is a `200` whose headers carry the message header (an application error
 * travels as a `Micro-Error` header with an empty body). Refusals (405 for another method, 413 for
 * a body over `maxBodySize`, which is never buffered) are 200s with the MicroError too, because
 * go-micro's client reads `Micro-Error` only on a 200 and turns any other status into bare text. Exported separately so the TCP transport can hand
 * sniffed HTTP connections to the same server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MicroError } from '../../errors/micro-error.js';
import { HEADER } from '../../metadata/headers.js';
import { socketAddress, type Acceptor, type ListenOptions, type Message, type Peer } from '../transport.js';
import { fromHttpHeaders, toHttpHeaders } from './http.headers.js';

export const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const SERVER_ID = 'go.micro.server';

export function createHttpServer(acceptor: Acceptor, options: ListenOptions = {}): Server {
  const maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) =>
    handle(acceptor, maxBody, req, res),
  );
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

function handle(acceptor: Acceptor, maxBody: number, req: IncomingMessage, res: ServerResponse): void {
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
    const peer: Peer = {
      local: socketAddress(req.socket.localAddress, req.socket.localPort),
      remote: socketAddress(req.socket.remoteAddress, req.socket.remotePort),
    };
    let replied = false;
    try {
      acceptor.call(
        { header, body },
        (message) => {
          if (replied) return;
          replied = true;
          reply(res, message);
        },
        peer,
      );
    } catch (error) {
      if (!replied) refuse(res, MicroError.internalServerError(SERVER_ID, (error as Error).message));
    }
  });
}

function reply(res: ServerResponse, message: Message): void {
  if (res.destroyed || res.headersSent) return;
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
