/**
 * Clients that send requests and do not read the replies, on both transports. A burst of small
 * pipelined requests for large replies must not make the server compute and hold every reply: on
 * HTTP calls are answered one at a time per connection (a deeper pipeline is refused with a
 * retryable 503), on the framed protocol the server stops handling a connection's frames while its
 * write backlog is over the limit. Once the client reads, every request is answered, in order. A
 * client that never reads is cut after the reply timeout (HTTP: `requestTimeout` without progress;
 * framed: two `serverIdleTimeout` spells). Only counts and outcomes are asserted, never times.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { HEADER } from '../../../lib/core/metadata/headers.js';
import { Http1Parser, type Parsed } from '../../../lib/core/transport/http/http1-parser.js';
import { HttpTransport } from '../../../lib/core/transport/http/http.transport.js';
import { PIPELINE_DEPTH } from '../../../lib/core/transport/http/pipelining.js';
import { FrameParser } from '../../../lib/core/transport/tcp/frame-parser.js';
import { T_REPLY } from '../../../lib/core/transport/tcp/protocol.js';
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import type { Acceptor, Listener, Transport } from '../../../lib/core/transport/transport.js';
import { slowReader, watchServerSockets, type Hostile } from '../../support/hostile-clients.js';
import { waitFor } from '../../support/processes.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c();
});

const REPLY = 2 * 1024 * 1024;
const REQUESTS = 200;

/** Replies to every call with `{"size": n}` in its body with n bytes. */
function bigAcceptor(): Acceptor & { calls: number } {
  const acceptor = {
    calls: 0,
    call(request: { body: Buffer }, reply: (m: { header: Record<string, string>; body: Buffer }) => void) {
      acceptor.calls++;
      const { size } = JSON.parse(request.body.toString()) as { size: number };
      reply({ header: { 'content-type': 'application/json' }, body: Buffer.alloc(size, 0x78) });
    },
    stream: () => undefined,
  };
  return acceptor;
}

async function serve(transport: Transport, acceptor: Acceptor): Promise<Listener> {
  const listener = await transport.listen('127.0.0.1:0', acceptor);
  cleanups.push(() => transport.close());
  cleanups.push(() => listener.close(100));
  return listener;
}

/** Server-side sockets of `listener` still open. */
function serverSockets(listener: Listener): Set<Socket> {
  const watch = watchServerSockets(Number(listener.address.split(':').at(-1)));
  cleanups.push(() => watch.stop());
  return watch.open;
}

/** Waits until `read()` has not changed for a few polls: the server has stopped. */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  await waitFor(
    () => {
      const now = read();
      same = now === last ? same + 1 : 0;
      last = now;
      return same >= 6;
    },
    20_000,
    'the server to stop',
  );
  return last;
}

/** Starts reading `client`: HTTP responses or framed REPLY frames, in arrival order. */
function readAll(client: Hostile, wire: 'http' | 'tcp'): { http: Parsed[]; replies: number[] } {
  const got = { http: [] as Parsed[], replies: [] as number[] };
  if (wire === 'http') {
    const parser = new Http1Parser('response', 8 << 20, (m) => void got.http.push(m));
    client.socket.on('data', (d: Buffer) => void parser.push(d));
  } else {
    const parser = new FrameParser(
      8 << 20,
      (type, id, _buf, start, end) => {
        if (type === T_REPLY && end - start > REPLY) got.replies.push(id);
      },
      () => client.socket.destroy(),
    );
    client.socket.on('data', (d: Buffer) => parser.push(d));
  }
  client.socket.resume();
  return got;
}

describe('a client that pipelines requests for large replies and reads none', () => {
  it('http: calls run one at a time; the rest wait or are refused, and all are answered in order', async () => {
    const acceptor = bigAcceptor();
    const listener = await serve(new HttpTransport(), acceptor);
    const client = await slowReader(listener.address, 'http', 'big', REPLY, REQUESTS);
    cleanups.push(() => client.socket.destroy());

    // the kernel's socket buffers take a reply or two; everything else waits for the reader
    expect(await settled(() => acceptor.calls)).toBeLessThanOrEqual(8);

    const got = readAll(client, 'http');
    await waitFor(() => got.http.length === REQUESTS, 20_000, 'every answer');
    const served = got.http.filter((m) => m.header[HEADER.error] === undefined);
    const refused = got.http.filter((m) => m.header[HEADER.error] !== undefined);
    expect(served.length).toBeGreaterThanOrEqual(PIPELINE_DEPTH + 1);
    expect(served.every((m) => m.body.length === REPLY)).toBe(true);
    // served answers come first (in order), refusals after them: a refusal is never run
    expect(got.http.slice(0, served.length)).toEqual(served);
    for (const m of refused) {
      const error = MicroError.parse(m.header[HEADER.error]!);
      expect(error).toMatchObject({ code: 503, retryable: true });
    }
    expect(acceptor.calls).toBe(served.length);
  });

  it('tcp: the server stops handling its frames while its write backlog is full, then answers all', async () => {
    const acceptor = bigAcceptor();
    const listener = await serve(new TcpTransport(), acceptor);
    const client = await slowReader(listener.address, 'tcp', 'big', REPLY, REQUESTS);
    cleanups.push(() => client.socket.destroy());

    // at most a batch or two of frames (32 each) is handled before the backlog stops the rest
    expect(await settled(() => acceptor.calls)).toBeLessThanOrEqual(64);

    const got = readAll(client, 'tcp');
    await waitFor(() => got.replies.length === REQUESTS, 30_000, 'every reply');
    expect(new Set(got.replies).size).toBe(REQUESTS);
    expect(acceptor.calls).toBe(REQUESTS);
  });
});

describe('a client that never reads its reply is cut', () => {
  const size = 8 * 1024 * 1024; // more than the kernel's buffers take

  it('http: after requestTimeout without progress', async () => {
    const listener = await serve(
      new HttpTransport({ httpTimeouts: { headersTimeout: 100, requestTimeout: 200 } }),
      bigAcceptor(),
    );
    const open = serverSockets(listener);
    const client = await slowReader(listener.address, 'http', 'big', size, 1);
    cleanups.push(() => client.socket.destroy());
    await waitFor(() => open.size === 1, 5_000, 'the connection');
    await waitFor(() => open.size === 0, 10_000, 'the server to close it');
  });

  it('tcp: after two serverIdleTimeout spells', async () => {
    const listener = await serve(new TcpTransport({ serverIdleTimeout: 100 }), bigAcceptor());
    const open = serverSockets(listener);
    const client = await slowReader(listener.address, 'tcp', 'big', size, 1);
    cleanups.push(() => client.socket.destroy());
    await waitFor(() => open.size === 1, 5_000, 'the connection');
    await waitFor(() => open.size === 0, 10_000, 'the server to close it');
  });
});
