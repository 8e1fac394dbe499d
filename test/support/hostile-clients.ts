/**
 * Hostile clients on raw sockets, for the memory bench (bench/memory.bench.ts) and
 * test/integration/server/memory-bounds.test.ts: connections that send nothing, that made one call and then sit
 * on keep-alive, that read nothing of a stream or a large reply, and that send a request's header
 * and never its body — on go-micro's HTTP wire (`http`) or the framed TCP protocol (`tcp`). They
 * target the memory service's endpoints (bench/memory/service.ts). Connections are opened in
 * batches so a listen backlog never overflows; nothing here waits without a bound. Also counts a
 * server's open sockets when it runs in this process.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';
import { Http1Parser } from '../../lib/core/transport/http/http1-parser.js';
import { FrameParser } from '../../lib/core/transport/tcp/frame-parser.js';
import { encodeHeader, headerBound } from '../../lib/core/transport/tcp/header-codec.js';
import {
  FRAME_HEADER,
  PREFACE,
  T_MESSAGE,
  T_OPEN,
  T_REPLY,
  T_REQUEST,
} from '../../lib/core/transport/tcp/protocol.js';
import { splitHostPort } from '../../lib/core/net/address.js';

export type Wire = 'http' | 'tcp';
export const SERVICE = 'memory-bench';

export interface Hostile {
  socket: Socket;
  /** Resolves when the connection closed (whoever closed it). */
  closed: Promise<void>;
  isClosed(): boolean;
}

/** Connects to `address` and writes `first` (if any). */
export function open(address: string, first?: Buffer): Promise<Hostile> {
  const { host, port } = splitHostPort(address);
  const socket = connect({ host, port });
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      if (first) socket.write(first);
      resolve({ socket, closed, isClosed: () => isClosed });
    });
    socket.once('error', reject);
  });
}

/** Opens `n` connections `batch` at a time with `make`. */
export async function openMany(n: number, batch: number, make: () => Promise<Hostile>): Promise<Hostile[]> {
  const all: Hostile[] = [];
  while (all.length < n) {
    const size = Math.min(batch, n - all.length);
    all.push(...(await Promise.all(Array.from({ length: size }, make))));
  }
  return all;
}

export function destroyAll(clients: Hostile[]): Promise<void> {
  for (const c of clients) c.socket.destroy();
  return Promise.all(clients.map((c) => c.closed)).then(() => undefined);
}

/** The server-side sockets of `port` open in this process (the server runs here). */
export function watchServerSockets(port: number): { open: Set<Socket>; stop(): void } {
  const sockets = new Set<Socket>();
  const onSocket = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket;
    if (socket.localPort !== port) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  subscribe('net.server.socket', onSocket);
  return { open: sockets, stop: () => void unsubscribe('net.server.socket', onSocket) };
}

// ---- requests ----

/** A go-micro HTTP request to the memory service (`Micro-Stream` in `extra` makes it a stream). */
export function httpRequest(endpoint: string, body: unknown, extra: Record<string, string> = {}): Buffer {
  const bytes = Buffer.from(JSON.stringify(body));
  return Buffer.concat([httpHead(endpoint, bytes.length, extra), bytes]);
}

function httpHead(endpoint: string, length: number, extra: Record<string, string> = {}): Buffer {
  const headers: Record<string, string> = {
    Host: SERVICE,
    'Content-Type': 'application/json',
    'Micro-Id': '1',
    'Micro-Service': SERVICE,
    'Micro-Endpoint': endpoint,
    'Micro-Method': endpoint,
    ...extra,
    'Content-Length': String(length),
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return Buffer.from(`POST / HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1');
}

/** A framed REQUEST (or a stream's OPEN or MESSAGE) to the memory service. */
export function framedRequest(type: number, id: number, endpoint: string, body: unknown): Buffer {
  const header = {
    'content-type': 'application/json',
    'micro-id': String(id),
    'micro-service': SERVICE,
    'micro-endpoint': endpoint,
  };
  const payload = Buffer.alloc(headerBound(header));
  const end = encodeHeader(header, payload, 0);
  return frame(type, id, Buffer.concat([payload.subarray(0, end), Buffer.from(JSON.stringify(body))]));
}

function frame(type: number, id: number, payload: Buffer, length = payload.length): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt32BE(length, 0);
  head[4] = type;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

// ---- the hostile kinds ----

/** A connection that sends nothing at all. */
export function idle(address: string): Promise<Hostile> {
  return open(address);
}

/** Makes one good call (`Memory.Hello`), waits for its reply, then sits idle on keep-alive. */
export async function keptAlive(address: string, wire: Wire): Promise<Hostile> {
  const request =
    wire === 'http'
      ? httpRequest('Memory.Hello', { name: 'idle' })
      : Buffer.concat([PREFACE, framedRequest(T_REQUEST, 1, 'Memory.Hello', { name: 'idle' })]);
  const client = await open(address);
  const replied = new Promise<void>((resolve, reject) => {
    const onData =
      wire === 'http'
        ? httpReader(() => resolve())
        : framedReader((type) => (type === T_REPLY ? resolve() : undefined));
    client.socket.on('data', onData);
    void client.closed.then(() => reject(new Error('closed before the reply')));
  });
  client.socket.write(request);
  await replied;
  return client;
}

/**
 * Asks for a server stream of `size`-byte messages (`feed`) or for `count` pipelined unary replies
 * of `size` bytes (`big`), and never reads: the socket is paused, so the kernel's buffers fill and
 * the server's writes back up.
 */
export async function slowReader(
  address: string,
  wire: Wire,
  what: 'feed' | 'big',
  size: number,
  count = 1,
): Promise<Hostile> {
  const parts: Buffer[] = wire === 'tcp' ? [PREFACE] : [];
  for (let i = 0; i < (what === 'feed' ? 1 : count); i++) {
    const id = i + 1;
    // a stream opens with an empty request (as go-micro's clients send it), then the request
    if (what === 'feed' && wire === 'http') {
      const stream = { 'Micro-Stream': String(id) };
      parts.push(httpRequest('Memory.Feed', {}, stream), httpRequest('Memory.Feed', { size }, stream));
    } else if (what === 'feed') {
      parts.push(framedRequest(T_OPEN, id, 'Memory.Feed', {}));
      parts.push(framedRequest(T_MESSAGE, id, 'Memory.Feed', { size }));
    } else if (wire === 'http') {
      parts.push(httpRequest('Memory.Big', { size }));
    } else {
      parts.push(framedRequest(T_REQUEST, id, 'Memory.Big', { size }));
    }
  }
  const client = await open(address);
  client.socket.pause();
  client.socket.write(Buffer.concat(parts));
  return client;
}

/**
 * Sends a request's header announcing `declared` body bytes and never the body: on HTTP the
 * request headers with a Content-Length, on the framed protocol a frame header (after the preface).
 * What the server answers is read and dropped.
 */
export async function headerOnly(address: string, wire: Wire, declared = 1_000): Promise<Hostile> {
  const first =
    wire === 'http'
      ? httpHead('Memory.Hello', declared)
      : Buffer.concat([PREFACE, frame(T_REQUEST, 1, Buffer.alloc(0), declared)]);
  const client = await open(address, first);
  client.socket.resume();
  return client;
}

function httpReader(onResponse: () => void): (data: Buffer) => void {
  const parser = new Http1Parser('response', 8 << 20, onResponse);
  return (data) => void parser.push(data);
}

function framedReader(onFrame: (type: number) => void): (data: Buffer) => void {
  const parser = new FrameParser(
    8 << 20,
    (type) => onFrame(type),
    () => undefined,
  );
  return (data) => parser.push(data);
}
